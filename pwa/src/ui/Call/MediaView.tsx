import { useEffect, useRef } from "preact/hooks";
import type { CallView } from "../../calls/state.ts";
import { log } from "../../data/log.ts";

/** Keeps `element.srcObject` on `stream` and plays it. */
function useStream<T extends HTMLMediaElement>(stream: MediaStream | null) {
  const ref = useRef<T>(null);
  useEffect(() => {
    const element = ref.current;
    if (element === null || element.srcObject === stream) return;
    element.srcObject = stream;
    if (stream !== null) {
      element.play().catch((error: unknown) => {
        // Autoplay may wait for a gesture; the element plays once allowed.
        log("call_play_failed", { error: String(error) });
      });
    }
  }, [stream]);
  return ref;
}

/**
 * Renders the media of a call: the other end's video filling the screen,
 * the own camera in a corner, and the other end's audio on the chosen
 * output.
 */
export function MediaView(props: { view: CallView; showsVideo: boolean }) {
  const { view } = props;
  const remoteVideo = useStream<HTMLVideoElement>(view.remoteStream);
  const remoteAudio = useStream<HTMLAudioElement>(view.remoteStream);
  const localVideo = useStream<HTMLVideoElement>(view.localStream);
  const speakerId = view.speakerId;
  useEffect(() => {
    const element = remoteAudio.current;
    if (element === null || !("setSinkId" in element)) return;
    element.setSinkId(speakerId).catch((error: unknown) => {
      log("call_speaker_failed", { error: String(error) });
    });
  }, [speakerId]);
  return (
    <>
      <audio ref={remoteAudio} autoplay />
      <video
        ref={remoteVideo}
        class="call__remote-video"
        hidden={!props.showsVideo}
        autoplay
        playsInline
        muted
        aria-label="Video of the other person"
      />
      <video
        ref={localVideo}
        class="call__local-video"
        hidden={!view.cameraOn}
        autoplay
        playsInline
        muted
        aria-label="Your camera"
      />
    </>
  );
}
