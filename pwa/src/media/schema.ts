import { z } from "zod";
import { MAX_MEDIA_BYTES, mediaId } from "../../../protocol/media.ts";
import type { MediaItem } from "./types.ts";

/**
 * Runtime check of a MediaItem decoded from a message body. A body comes
 * from another person's client, so every field is checked before the app
 * uses it. The preview must be an inline image, so a message can never
 * make the app load a URL of the sender's choice.
 */

const base64url = (bytes: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`),
      `must be ${bytes} bytes in base64url`,
    );

/** Longest preview data URL accepted: a 64 px JPEG is far smaller. */
export const MAX_PREVIEW_CHARS = 16 * 1024;
/** Longest file name accepted, in UTF-16 code units. */
export const MAX_MEDIA_NAME_CHARS = 255;

const dimension = z.number().int().min(1).max(100_000);

export const MediaItemSchema = z.object({
  id: mediaId,
  kind: z.enum(["image", "video", "voice", "audio", "file"]),
  mime: z.string().max(255),
  name: z.string().max(MAX_MEDIA_NAME_CHARS),
  size: z.number().int().min(0).max(MAX_MEDIA_BYTES),
  key: base64url(32),
  nonce: base64url(12),
  hash: base64url(32),
  width: dimension.optional(),
  height: dimension.optional(),
  duration: z.number().finite().min(0).max(1e7).optional(),
  preview: z
    .string()
    .max(MAX_PREVIEW_CHARS)
    .regex(/^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/]+=*$/)
    .optional(),
  waveform: z
    .string()
    .max(86)
    .regex(/^[A-Za-z0-9_-]*$/)
    .optional(),
}) satisfies z.ZodType<MediaItem>;

/** Returns `value` as a MediaItem, or null when any field is invalid. */
export function parseMediaItem(value: unknown): MediaItem | null {
  const result = MediaItemSchema.safeParse(value);
  return result.success ? result.data : null;
}
