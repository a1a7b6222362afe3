import {
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from "preact/hooks";
import type { RefObject } from "preact";

/**
 * A virtualizer for a vertical list of rows of varying height. Only the rows
 * inside the viewport plus `overscan` pixels above and below are rendered;
 * two spacer elements stand in for the rest. Row heights are measured after
 * render and by a ResizeObserver, and rows not yet seen count as `estimate`.
 *
 * Position is kept by anchoring. The hook stores the first visible row and
 * its distance from the top of the viewport. After a change above that row
 * (older rows prepended, a row growing) it corrects the scroll position so
 * the row stays where it was. A list scrolled to the bottom stays at the
 * bottom as rows are appended. The rows to render are chosen for the
 * position the list will have after that correction, so prepending a page
 * does not first render the rows at the old scroll offset.
 */

export interface VirtualListOptions {
  estimate: number;
  overscan: number;
}

type ScrollRequest =
  { kind: "bottom" } | { kind: "key"; key: string; align: "start" | "center" };

export interface VirtualList {
  /** Rendered rows: indices start (inclusive) to end (exclusive). */
  start: number;
  end: number;
  topSpacer: RefObject<HTMLDivElement>;
  bottomSpacer: RefObject<HTMLDivElement>;
  /** Ref callback for the row with this key. */
  measureRef: (key: string) => (element: HTMLElement | null) => void;
  onScroll: () => void;
  scrollToKey: (key: string, align: "start" | "center") => void;
  scrollToBottom: () => void;
  /** Distance between the viewport's bottom edge and the list's end. */
  distanceFromBottom: number;
}

/** Offsets of each row's top edge; the last entry is the total height. */
function computeOffsets(
  keys: string[],
  heights: Map<string, number>,
  estimate: number,
): number[] {
  const offsets = new Array<number>(keys.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < keys.length; i++) {
    const height = heights.get(keys[i] as string) ?? estimate;
    offsets[i + 1] = (offsets[i] as number) + height;
  }
  return offsets;
}

/** Index of the first row whose bottom edge is below `y`. */
function rowAt(offsets: number[], y: number): number {
  let low = 0;
  let high = offsets.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((offsets[mid + 1] as number) > y) high = mid;
    else low = mid + 1;
  }
  return low;
}

export function useVirtualList(
  scroller: RefObject<HTMLElement>,
  keys: string[],
  options: VirtualListOptions,
): VirtualList {
  const heights = useRef(new Map<string, number>()).current;
  const elements = useRef(new Map<string, HTMLElement>()).current;
  const refCallbacks = useRef(
    new Map<string, (el: HTMLElement | null) => void>(),
  ).current;
  const topSpacer = useRef<HTMLDivElement>(null);
  const bottomSpacer = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 0 });
  const [distanceFromBottom, setDistance] = useState(0);
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  const stick = useRef(false);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const request = useRef<ScrollRequest | null>(null);
  const latest = useRef({ keys, offsets: [0] });
  /** Counts changes of measured heights, so `cached` offsets go stale. */
  const heightsVersion = useRef(0);
  const cached = useRef<{
    keys: string[];
    version: number;
    offsets: number[];
  } | null>(null);

  const observer = useMemo(
    () =>
      new ResizeObserver((entries) => {
        let changed = false;
        for (const entry of entries) {
          const element = entry.target as HTMLElement;
          const key = element.dataset["key"];
          if (key === undefined) {
            changed = true;
            continue;
          }
          if (heights.get(key) !== element.offsetHeight) {
            heights.set(key, element.offsetHeight);
            changed = true;
          }
        }
        if (changed) {
          heightsVersion.current++;
          rerender(0);
        }
      }),
    [],
  );

  useEffect(() => {
    const element = scroller.current;
    if (element !== null) observer.observe(element);
    return () => observer.disconnect();
  }, []);

  /**
   * Returns the offsets of `rowKeys`, computed again only when the keys or
   * a measured height changed, because a render per scrolled frame would
   * otherwise walk every loaded row.
   */
  function offsetsOf(rowKeys: string[]): number[] {
    const previous = cached.current;
    if (
      previous !== null &&
      previous.keys === rowKeys &&
      previous.version === heightsVersion.current
    ) {
      return previous.offsets;
    }
    const computed = computeOffsets(rowKeys, heights, options.estimate);
    cached.current = {
      keys: rowKeys,
      version: heightsVersion.current,
      offsets: computed,
    };
    return computed;
  }

  /**
   * Returns the scroll offset that `applyPosition` will set after this
   * render, estimated from the current offsets, or the last one seen.
   */
  function plannedTop(rowKeys: string[], rows: number[]): number {
    const pending = request.current;
    const total = rows[rows.length - 1] as number;
    if (pending?.kind === "bottom" || (pending === null && stick.current)) {
      return Math.max(0, total - viewport.height);
    }
    const target = pending?.kind === "key" ? pending.key : anchor.current?.key;
    const index = target === undefined ? -1 : rowKeys.indexOf(target);
    if (index === -1) return viewport.top;
    const rowTop = rows[index] as number;
    if (pending?.kind === "key") {
      return pending.align === "center"
        ? rowTop - viewport.height / 2
        : rowTop - 8;
    }
    return rowTop - (anchor.current?.delta ?? 0);
  }

  const offsets = offsetsOf(keys);
  const count = keys.length;
  const top = plannedTop(keys, offsets);
  const low = top - options.overscan;
  const high = top + viewport.height + options.overscan;
  const start = Math.min(rowAt(offsets, low), count);
  const end = Math.min(Math.max(rowAt(offsets, high) + 1, start), count);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    let changed = false;
    for (let i = start; i < end; i++) {
      const key = keys[i] as string;
      const row = elements.get(key);
      if (row !== undefined && heights.get(key) !== row.offsetHeight) {
        heights.set(key, row.offsetHeight);
        changed = true;
      }
    }
    if (changed) heightsVersion.current++;
    const settled = offsetsOf(keys);
    latest.current = { keys, offsets: settled };
    setSpacer(topSpacer.current, settled[start] as number);
    setSpacer(
      bottomSpacer.current,
      (settled[count] as number) - (settled[end] as number),
    );
    applyPosition(element, keys, settled);
    syncViewport(element);
    if (changed) rerender(0);
  });

  function applyPosition(
    element: HTMLElement,
    rowKeys: string[],
    rows: number[],
  ) {
    const pending = request.current;
    request.current = null;
    if (pending?.kind === "bottom" || (pending === null && stick.current)) {
      stick.current = true;
      element.scrollTop = element.scrollHeight;
      return;
    }
    const target = pending?.kind === "key" ? pending.key : anchor.current?.key;
    const index = target === undefined ? -1 : rowKeys.indexOf(target);
    if (index === -1) return;
    const rowTop = rows[index] as number;
    if (pending?.kind === "key") {
      const rowHeight = (rows[index + 1] as number) - rowTop;
      const margin =
        pending.align === "center"
          ? Math.max(0, (element.clientHeight - rowHeight) / 2)
          : 8;
      element.scrollTop = rowTop - margin;
      stick.current = false;
      anchor.current = { key: pending.key, delta: rowTop - element.scrollTop };
      return;
    }
    const desired = rowTop - (anchor.current?.delta ?? 0);
    if (Math.abs(element.scrollTop - desired) >= 1) element.scrollTop = desired;
  }

  function syncViewport(element: HTMLElement) {
    const top = element.scrollTop;
    const height = element.clientHeight;
    if (top !== viewport.top || height !== viewport.height) {
      setViewport({ top, height });
    }
    const distance = element.scrollHeight - top - height;
    if (Math.abs(distance - distanceFromBottom) >= 1) setDistance(distance);
  }

  const onScroll = () => {
    const element = scroller.current;
    if (element === null) return;
    const distance =
      element.scrollHeight - element.scrollTop - element.clientHeight;
    stick.current = distance < 4;
    const { keys: rowKeys, offsets: rows } = latest.current;
    const index = rowAt(rows, element.scrollTop);
    const key = rowKeys[index];
    anchor.current =
      key === undefined
        ? null
        : { key, delta: (rows[index] as number) - element.scrollTop };
    syncViewport(element);
  };

  const measureRef = (key: string) => {
    let callback = refCallbacks.get(key);
    if (callback === undefined) {
      callback = (element: HTMLElement | null) => {
        const previous = elements.get(key);
        if (previous !== undefined) observer.unobserve(previous);
        if (element === null) {
          elements.delete(key);
          return;
        }
        element.dataset["key"] = key;
        elements.set(key, element);
        observer.observe(element);
      };
      refCallbacks.set(key, callback);
    }
    return callback;
  };

  return {
    start,
    end,
    topSpacer,
    bottomSpacer,
    measureRef,
    onScroll,
    distanceFromBottom,
    scrollToKey: (key, align) => {
      request.current = { kind: "key", key, align };
      rerender(0);
    },
    scrollToBottom: () => {
      request.current = { kind: "bottom" };
      rerender(0);
    },
  };
}

/** Sets a spacer's height through the CSSOM (CSP allows no style attributes). */
function setSpacer(element: HTMLElement | null, height: number) {
  if (element !== null) element.style.height = `${Math.max(0, height)}px`;
}
