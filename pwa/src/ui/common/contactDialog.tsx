import type { ContactDialogProps } from "../Contacts/ContactDialog.tsx";
import { lazyScreen } from "./lazy.tsx";

/**
 * The "New contact" dialog, loaded on first use: it brings the phone field
 * and libphonenumber-js, which a chat or its info need only then.
 */
export const ContactDialog = lazyScreen<ContactDialogProps>(
  "ContactDialog",
  () =>
    import("../Contacts/ContactDialog.tsx").then(
      (module) => module.ContactDialog,
    ),
);
