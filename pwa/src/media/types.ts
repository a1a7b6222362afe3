/**
 * A file as its message describes it. It travels inside the encrypted
 * message body (codec.ts), so the server never receives any of it: the
 * key and hash that open the file, its name and type, and the preview the
 * recipient shows before the file itself arrives.
 */
export interface MediaItem {
  /** The upload's id (protocol/media.ts). */
  id: string;
  /**
   * Presentation: `image` and `video` open in the viewer, `voice` is a
   * voice message with a waveform, `audio` gets a player and `file` shows
   * as a document.
   */
  kind: "image" | "video" | "voice" | "audio" | "file";
  /** MIME type as the sender's browser named it; "" when unknown. */
  mime: string;
  /** The original file name, in any script. "" for a voice note. */
  name: string;
  /** Plaintext bytes. */
  size: number;
  /** AES-256-GCM key, 32 bytes, base64url without padding. */
  key: string;
  /** Base nonce, 12 bytes, base64url without padding. */
  nonce: string;
  /**
   * SHA-256 over the concatenated SHA-256 digests of the ciphertext's
   * upload parts (MEDIA_PART_BYTES each, the last one shorter), in part
   * order, base64url without padding. An interrupted upload thus resumes
   * from stored part digests without reading the sent parts again.
   */
  hash: string;
  /** Pixel size of an image or a video. */
  width?: number;
  height?: number;
  /** Seconds, for video, voice and audio. */
  duration?: number;
  /**
   * A small blurred-looking preview (a JPEG data URL of at most 64 px on
   * its longer side) of an image or of a video's poster frame.
   */
  preview?: string;
  /**
   * Loudness of a voice note in up to 64 steps, each 0–255, base64url.
   */
  waveform?: string;
}
