/**
 * Time-ordered ids (UUID version 7, RFC 9562): 48 bits of Unix
 * milliseconds, then a 12-bit counter in `rand_a`, then 62 random bits.
 * Ids made by one page sort in the order they were made, even within one
 * millisecond: the counter starts at a random value below 2048 each new
 * millisecond and counts up, and when it runs out the id borrows the next
 * millisecond.
 */

let lastMs = 0;
let counter = 0;

export function newId(now: number = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(10));
  if (now > lastMs) {
    lastMs = now;
    counter = ((random[0]! << 8) | random[1]!) & 0x7ff;
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  const hex = (value: number, digits: number) =>
    value.toString(16).padStart(digits, "0");
  let tail = hex(0x80 | (random[2]! & 0x3f), 2);
  for (let i = 3; i < 10; i++) tail += hex(random[i]!, 2);
  const time = hex(lastMs, 12);
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-7${hex(counter, 3)}-` +
    `${tail.slice(0, 4)}-${tail.slice(4)}`
  );
}
