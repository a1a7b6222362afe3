import { describe, expect, it } from "vitest";
import { MAX_DISPLAY_NAME_CHARS } from "../../../protocol/index.ts";
import {
  cardsFromPicker,
  planImport,
  toE164,
} from "../../../pwa/src/data/contact-import.ts";

describe("toE164", () => {
  it("reads a national number in the region", () => {
    expect(toE164("030 12345678", "DE")).toBe("+493012345678");
  });

  it("reads an international number anywhere", () => {
    expect(toE164("+1 (202) 555-0123", "DE")).toBe("+12025550123");
  });

  it("reads the 00 international prefix", () => {
    expect(toE164("0049 30 12345678", "FR")).toBe("+493012345678");
  });

  it("rejects a number too short", () => {
    expect(toE164("12", "DE")).toBeNull();
  });

  it("rejects text without digits", () => {
    expect(toE164("call me", "DE")).toBeNull();
  });
});

describe("import plan", () => {
  it("makes one contact per usable number", () => {
    const plan = planImport(
      [
        {
          name: "Ana",
          phones: [
            { value: "030 11111111", types: ["cell"] },
            { value: "+49 30 22222222", types: ["work"] },
          ],
        },
        { name: "Ben", phones: [{ value: "030 33333333", types: [] }] },
      ],
      "DE",
    );
    expect(plan.entries).toEqual([
      { phone: "+493011111111", name: "Ana (mobile)" },
      { phone: "+493022222222", name: "Ana (work)" },
      { phone: "+493033333333", name: "Ben" },
    ]);
    expect(plan.cards).toBe(2);
    expect(plan.withoutNumber).toBe(0);
  });

  it("counts cards without a usable number", () => {
    const plan = planImport(
      [
        { name: "No phone", phones: [] },
        { name: "Bad phone", phones: [{ value: "12", types: [] }] },
        { name: "Good", phones: [{ value: "030 44444444", types: [] }] },
      ],
      "DE",
    );
    expect(plan.entries).toEqual([{ phone: "+493044444444", name: "Good" }]);
    expect(plan.withoutNumber).toBe(2);
  });

  it("imports a repeated number once under its first name", () => {
    const plan = planImport(
      [
        { name: "First", phones: [{ value: "030 55555555", types: [] }] },
        { name: "Second", phones: [{ value: "+493055555555", types: [] }] },
      ],
      "DE",
    );
    expect(plan.entries).toEqual([{ phone: "+493055555555", name: "First" }]);
  });

  it("lists a number written twice in one card once", () => {
    const plan = planImport(
      [
        {
          name: "Twice",
          phones: [
            { value: "030 66666666", types: ["cell"] },
            { value: "+49 30 66666666", types: ["home"] },
          ],
        },
      ],
      "DE",
    );
    expect(plan.entries).toEqual([{ phone: "+493066666666", name: "Twice" }]);
  });

  it("numbers repeated types", () => {
    const plan = planImport(
      [
        {
          name: "Cleo",
          phones: [
            { value: "030 10000001", types: ["cell"] },
            { value: "030 10000002", types: ["cell"] },
            { value: "030 10000003", types: [] },
          ],
        },
      ],
      "DE",
    );
    expect(plan.entries.map((entry) => entry.name)).toEqual([
      "Cleo (mobile)",
      "Cleo (mobile 2)",
      "Cleo (3)",
    ]);
  });

  it("names a card without a name after its number", () => {
    const plan = planImport(
      [{ name: "", phones: [{ value: "030 77777777", types: [] }] }],
      "DE",
    );
    expect(plan.entries[0]?.name).toBe("+49 30 77777777");
  });

  it("removes control and direction characters from names", () => {
    const plan = planImport(
      [
        {
          name: "Eve\u202e\nline\u0007 two",
          phones: [{ value: "030 88888888", types: [] }],
        },
      ],
      "DE",
    );
    expect(plan.entries[0]?.name).toBe("Eve line two");
  });

  it("removes lone surrogates from names", () => {
    const plan = planImport(
      [
        {
          name: "Ana\ud800 😀 \udc00Ben",
          phones: [{ value: "030 88888889", types: [] }],
        },
      ],
      "DE",
    );
    expect(plan.entries[0]?.name).toBe("Ana 😀 Ben");
  });

  it("cuts long names to the display name limit", () => {
    const long = "😀".repeat(MAX_DISPLAY_NAME_CHARS);
    const plan = planImport(
      [
        {
          name: long,
          phones: [
            { value: "030 99999991", types: ["home"] },
            { value: "030 99999992", types: ["work"] },
          ],
        },
      ],
      "DE",
    );
    for (const entry of plan.entries) {
      expect(entry.name.length).toBeLessThanOrEqual(MAX_DISPLAY_NAME_CHARS);
      expect(entry.name).not.toMatch(/[\uD800-\uDBFF]( |$)/);
    }
    expect(plan.entries[0]?.name.endsWith(" (home)")).toBe(true);
  });
});

describe("Contact Picker results", () => {
  it("become cards with the first name", () => {
    const cards = cardsFromPicker([
      { name: ["", "Dana"], tel: ["+49 30 12121212", "030 13131313"] },
      { tel: ["030 14141414"] },
      {},
    ]);
    expect(cards).toEqual([
      {
        name: "Dana",
        phones: [
          { value: "+49 30 12121212", types: [] },
          { value: "030 13131313", types: [] },
        ],
      },
      { name: "", phones: [{ value: "030 14141414", types: [] }] },
      { name: "", phones: [] },
    ]);
  });
});
