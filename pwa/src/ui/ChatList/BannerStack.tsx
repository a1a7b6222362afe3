import { HistoryBannerBody } from "./HistoryBannerBody.tsx";
import { NotificationBanner } from "./NotificationBanner.tsx";

/** Renders the banners above the chat list, in the chunk Banners loads. */
export function BannerStack() {
  return (
    <>
      <HistoryBannerBody />
      <NotificationBanner />
    </>
  );
}
