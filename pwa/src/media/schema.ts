import { z } from "zod";
import { MAX_MEDIA_BYTES, mediaId } from "../../../protocol/index.ts";
import type { MediaItem } from "./types.ts";

/**
 * Runtime check of a MediaItem decoded from a message body. A body comes
 * from another person's client, so every field is checked before the app
 * uses it. The preview must be an inline image, so a message can never
 * make the app load a URL of the sender's choice.
 */

/** 32 bytes in base64url without padding. */
const bytes32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** Maximum length of a preview data URL; a 64 px JPEG is far smaller. */
export const MAX_PREVIEW_CHARS = 16 * 1024;
/** Maximum length of a file name, in UTF-16 code units. */
export const MAX_MEDIA_NAME_CHARS = 255;
/** Maximum length of a MIME type, in characters. */
export const MAX_MIME_CHARS = 255;

const dimension = z.number().int().min(1).max(100_000);

export const MediaItemSchema = z.object({
  id: mediaId,
  kind: z.enum(["image", "video", "voice", "audio", "file"]),
  mime: z.string().max(MAX_MIME_CHARS),
  name: z.string().max(MAX_MEDIA_NAME_CHARS),
  size: z.number().int().min(0).max(MAX_MEDIA_BYTES),
  key: bytes32,
  // 12 bytes in base64url without padding.
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
  hash: bytes32,
  width: dimension.optional(),
  height: dimension.optional(),
  duration: z.number().finite().min(0).max(1e7).optional(),
  preview: z
    .string()
    .max(MAX_PREVIEW_CHARS)
    .regex(/^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/]+=*$/)
    .optional(),
  // Up to 64 levels of one byte each.
  waveform: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,86}$/)
    .optional(),
}) satisfies z.ZodType<MediaItem>;

/** Returns `value` as a MediaItem, or null when any field is invalid. */
export function parseMediaItem(value: unknown): MediaItem | null {
  const result = MediaItemSchema.safeParse(value);
  return result.success ? result.data : null;
}
