import { HistoryBannerBody } from "./HistoryBannerBody.tsx";
import { NotificationBanner } from "./NotificationBanner.tsx";

/** The banners above the chat list, loaded by Banners. */
export function BannerStack() {
  return (
    <>
      <HistoryBannerBody />
      <NotificationBanner />
    </>
  );
}
