import { useEffect, useRef, useState } from "preact/hooks";

/** Time between two scans of the camera image, in ms. */
const SCAN_INTERVAL_MS = 250;

/** The part of the Barcode Detection API that scanning uses. */
interface QrDetector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}

interface DetectorClass {
  new (options: { formats: string[] }): QrDetector;
  getSupportedFormats(): Promise<string[]>;
}

/**
 * Returns the browser's BarcodeDetector, or null where the browser lacks it
 * or cannot read QR codes. TypeScript's DOM types do not declare it yet.
 */
async function qrDetector(): Promise<QrDetector | null> {
  const Detector = (window as { BarcodeDetector?: DetectorClass })
    .BarcodeDetector;
  if (Detector === undefined || navigator.mediaDevices === undefined) {
    return null;
  }
  const formats = await Detector.getSupportedFormats();
  return formats.includes("qr_code")
    ? new Detector({ formats: ["qr_code"] })
    : null;
}

type ScanState =
  | { kind: "idle" }
  | { kind: "starting" }
  | { kind: "scanning"; stream: MediaStream; detector: QrDetector }
  | { kind: "failed"; message: string };

/**
 * Renders "Scan code", which films the other phone's QR code with the
 * camera and passes the decoded text to `onScan`. In browsers without the
 * Barcode Detection API, a sentence explains that scanning is unavailable.
 */
export function ScanCode({ onScan }: { onScan: (text: string) => void }) {
  const [state, setState] = useState<ScanState>({ kind: "idle" });
  const video = useRef<HTMLVideoElement>(null);

  const start = async () => {
    setState({ kind: "starting" });
    const detector = await qrDetector().catch(() => null);
    if (detector === null) {
      setState({
        kind: "failed",
        message:
          "This browser can't scan QR codes. Compare the numbers by eye, or paste the code from the other phone below.",
      });
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
      });
      setState({ kind: "scanning", stream, detector });
    } catch (error) {
      setState({ kind: "failed", message: cameraError(error) });
    }
  };

  useEffect(() => {
    if (state.kind !== "scanning") return;
    const element = video.current;
    if (element !== null) element.srcObject = state.stream;
    let busy = false;
    const timer = setInterval(() => {
      if (element === null || busy || element.readyState < 2) return;
      busy = true;
      void state.detector
        .detect(element)
        .then((codes) => {
          const first = codes[0];
          if (first === undefined) return;
          setState({ kind: "idle" });
          onScan(first.rawValue);
        })
        // A frame that fails to decode is skipped, and the next one is tried.
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, SCAN_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      for (const track of state.stream.getTracks()) track.stop();
    };
  }, [state]);

  return (
    <div class="verify__scan">
      {state.kind === "scanning" ? (
        <>
          <video
            ref={video}
            class="verify__video"
            aria-label="Camera view"
            autoplay
            muted
            playsInline
          />
          <button
            type="button"
            class="button button--secondary"
            onClick={() => setState({ kind: "idle" })}
          >
            Stop scanning
          </button>
        </>
      ) : (
        <button
          type="button"
          class="button button--secondary"
          disabled={state.kind === "starting"}
          onClick={() => void start()}
        >
          Scan code
        </button>
      )}
      {state.kind === "failed" && (
        <p class="field__hint" role="status">
          {state.message}
        </p>
      )}
    </div>
  );
}

function cameraError(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError") {
    return "Camera access was denied. Allow the camera for this site in the browser settings, or paste the code below.";
  }
  if (name === "NotFoundError") {
    return "No camera was found. Paste the code from the other phone below.";
  }
  return "The camera could not be started. Paste the code from the other phone below.";
}
