import type { Audience, Me, PublicProfile } from "../../protocol/index.ts";
import { assertNever } from "../../worker/log.ts";

/** The relation of a profile's viewer to the profile's owner. */
export interface ViewerRelation {
  /** The viewer is the owner. */
  self: boolean;
  /** A contact row of the owner carries the viewer's user id. */
  contact: boolean;
  /** The owner blocked the viewer. */
  blocked: boolean;
}

/** Returns whether `audience` lets the viewer see the field it guards. */
export function admits(audience: Audience, viewer: ViewerRelation): boolean {
  if (viewer.self) return true;
  if (viewer.blocked) return false;
  switch (audience) {
    case "everyone":
      return true;
    case "contacts":
      return viewer.contact;
    case "nobody":
      return false;
    default:
      return assertNever(audience);
  }
}

/**
 * Returns the owner's profile as the viewer may see it. A hidden about text reads
 * as "" and a hidden photo as null, the same as none, so the viewer cannot
 * tell hidden from empty.
 */
export function profileFor(me: Me, viewer: ViewerRelation): PublicProfile {
  const { aboutVisibility, photoVisibility } = me.settings;
  return {
    id: me.id,
    phone: me.phone,
    displayName: me.displayName,
    about: admits(aboutVisibility, viewer) ? me.about : "",
    photoId: admits(photoVisibility, viewer) ? me.photoId : null,
  };
}
