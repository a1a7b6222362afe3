import { describe, expect, it } from "vitest";
import { decodeVcardFile, parseVcards } from "../../../pwa/src/data/vcard.ts";

/**
 * Encodes `text` as UTF-16 in the given byte order, with or without the
 * byte order mark U+FEFF.
 */
function utf16(text: string, order: "le" | "be", bom: boolean): Uint8Array {
  const units = (bom ? "\uFEFF" : "") + text;
  const bytes = new Uint8Array(units.length * 2);
  for (let index = 0; index < units.length; index += 1) {
    const unit = units.charCodeAt(index);
    const high = unit >> 8;
    const low = unit & 0xff;
    bytes[index * 2] = order === "le" ? low : high;
    bytes[index * 2 + 1] = order === "le" ? high : low;
  }
  return bytes;
}

/** Joins lines with CRLF, the line ending the vCard RFCs prescribe. */
function crlf(...lines: string[]): string {
  return lines.join("\r\n") + "\r\n";
}

describe("vCard versions", () => {
  it("reads a 3.0 card with FN and TYPE lists", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N:Lovelace;Ada;;;",
      "FN:Ada Lovelace",
      "TEL;TYPE=CELL,VOICE:+44 20 7946 0018",
      "TEL;TYPE=WORK:030 1234567",
      "END:VCARD",
    );
    expect(parseVcards(text)).toEqual([
      {
        name: "Ada Lovelace",
        phones: [
          { value: "+44 20 7946 0018", types: ["cell"] },
          { value: "030 1234567", types: ["work"] },
        ],
      },
    ]);
  });

  it("reads a 4.0 tel URI with quoted TYPE", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:4.0",
      "FN:Grace Hopper",
      'TEL;VALUE=uri;PREF=1;TYPE="voice,home":tel:+1-202-555-0123',
      "TEL;VALUE=uri;TYPE=cell:tel:+12025550199;ext=12",
      "END:VCARD",
    );
    const [card] = parseVcards(text);
    expect(card?.phones).toEqual([
      { value: "+1-202-555-0123", types: ["home"] },
      { value: "+12025550199;ext=12", types: ["cell"] },
    ]);
  });

  it("reads 2.1 parameters without names", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "FN:Alan Turing",
      "TEL;CELL;VOICE:+49 30 1234567",
      "TEL;WORK;PREF:+49 30 7654321",
      "END:VCARD",
    );
    const [card] = parseVcards(text);
    expect(card?.phones.map((phone) => phone.types)).toEqual([
      ["cell"],
      ["work"],
    ]);
  });
});

describe("vCard 2.1 encodings", () => {
  it("decodes quoted-printable UTF-8", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=89lodie =C3=96zt=C3=BCrk",
      "TEL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.name).toBe("Élodie Öztürk");
  });

  it("joins quoted-printable soft line breaks", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD=",
      "=D0=BE=D0=B2;=D0=98=D0=B2=D0=B0=D0=BD;;;",
      "TEL;CELL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.name).toBe("Иван Иванов");
  });

  it("joins soft breaks after a folded parameter", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "FN;CHARSET=UTF-8;ENCODING=QUOTED-",
      " PRINTABLE:=D0=98=D0=B2=",
      "=D0=B0=D0=BD=",
      "",
      "TEL;CELL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)).toEqual([
      {
        name: "Иван",
        phones: [{ value: "+49301234567", types: ["cell"] }],
      },
    ]);
  });

  it("unfolds a PHOTO of many lines", () => {
    const lines = Array.from({ length: 50_000 }, () => " QUFBQUFB");
    const text = crlf(
      "BEGIN:VCARD",
      "FN:Pat",
      "PHOTO;ENCODING=b;TYPE=JPEG:/9j/",
      ...lines,
      "TEL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)).toEqual([
      { name: "Pat", phones: [{ value: "+49301234567", types: [] }] },
    ]);
  });

  it("decodes the CHARSET of a quoted-printable value", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "FN;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Andr=E9 M=FCller",
      "TEL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.name).toBe("André Müller");
  });

  it("falls back to UTF-8 for an unknown CHARSET", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "FN;CHARSET=NO-SUCH-CHARSET;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.name).toBe("José");
  });

  it("decodes an 8-bit file that is not UTF-8", () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode("BEGIN:VCARD\r\nFN:Andr"),
      0xe9,
      ...new TextEncoder().encode("\r\nEND:VCARD\r\n"),
    ]);
    expect(parseVcards(decodeVcardFile(bytes))[0]?.name).toBe("André");
  });

  it("decodes a UTF-8 file as UTF-8", () => {
    const bytes = new TextEncoder().encode("BEGIN:VCARD\nFN:Zoë\nEND:VCARD\n");
    expect(parseVcards(decodeVcardFile(bytes))[0]?.name).toBe("Zoë");
  });

  it("decodes UTF-16 with and without a byte order mark", () => {
    const text =
      "BEGIN:VCARD\r\nFN:Zoë 😀\r\nTEL:+44 20 7946 0018\r\nEND:VCARD\r\n";
    const cases: { label: string; bytes: Uint8Array }[] = [
      { label: "LE with BOM", bytes: utf16(text, "le", true) },
      { label: "BE with BOM", bytes: utf16(text, "be", true) },
      { label: "LE without BOM", bytes: utf16(text, "le", false) },
      { label: "BE without BOM", bytes: utf16(text, "be", false) },
    ];
    for (const { label, bytes } of cases) {
      const cards = parseVcards(decodeVcardFile(bytes));
      expect(cards, label).toEqual([
        {
          name: "Zoë 😀",
          phones: [{ value: "+44 20 7946 0018", types: [] }],
        },
      ]);
    }
  });

  it("drops a UTF-8 byte order mark", () => {
    const bytes = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode("BEGIN:VCARD\nFN:Zoë\nEND:VCARD\n"),
    ]);
    expect(parseVcards(decodeVcardFile(bytes))[0]?.name).toBe("Zoë");
  });
});

describe("vCard lines", () => {
  it("unfolds lines continued with a space or a tab", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Margaret Ham",
      " ilton",
      "TEL;TYPE=CELL:+49 30",
      "\t1234567",
      "END:VCARD",
    );
    const [card] = parseVcards(text);
    expect(card?.name).toBe("Margaret Hamilton");
    expect(card?.phones[0]?.value).toBe("+49 301234567");
  });

  it("accepts LF, CRLF and a byte order mark", () => {
    const text =
      "\uFEFFBEGIN:VCARD\nFN:One\nTEL:+49301111111\nEND:VCARD\r\n" +
      "BEGIN:VCARD\r\nFN:Two\r\nTEL:+49302222222\r\nEND:VCARD";
    expect(parseVcards(text).map((card) => card.name)).toEqual(["One", "Two"]);
  });

  it("reads several cards with several numbers each", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "FN:Ana",
      "TEL:+49301111111",
      "TEL:+49302222222",
      "END:VCARD",
      "BEGIN:VCARD",
      "FN:Ben",
      "TEL:+49303333333",
      "END:VCARD",
      "BEGIN:VCARD",
      "FN:Cleo",
      "END:VCARD",
    );
    const cards = parseVcards(text);
    expect(cards.map((card) => card.name)).toEqual(["Ana", "Ben", "Cleo"]);
    expect(cards.map((card) => card.phones.length)).toEqual([2, 1, 0]);
  });

  it("resolves escaped characters", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Smith\\, John\\; Jr.\\\\x\\nnext",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.name).toBe("Smith, John; Jr.\\x\nnext");
  });

  it("keeps escaped semicolons inside N parts", () => {
    const text = crlf("BEGIN:VCARD", "N:Doe\\;Roe;Jane;;;", "END:VCARD");
    expect(parseVcards(text)[0]?.name).toBe("Jane Doe;Roe");
  });

  it("reads property names in any case", () => {
    const text = crlf(
      "begin:vcard",
      "fn:Lower",
      "tel:+49301234567",
      "end:vcard",
    );
    expect(parseVcards(text)).toEqual([
      { name: "Lower", phones: [{ value: "+49301234567", types: [] }] },
    ]);
  });
});

describe("vCard names", () => {
  it("builds the name from N without FN", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "N:Curie;Marie;Salomea;Dr.;PhD",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.name).toBe("Dr. Marie Salomea Curie PhD");
  });

  it("uses N when FN is empty", () => {
    const text = crlf("BEGIN:VCARD", "FN:", "N:Noether;Emmy", "END:VCARD");
    expect(parseVcards(text)[0]?.name).toBe("Emmy Noether");
  });

  it("uses ORG without FN or N", () => {
    const text = crlf("BEGIN:VCARD", "ORG:Acme Ltd;Sales", "END:VCARD");
    expect(parseVcards(text)[0]?.name).toBe("Acme Ltd");
  });

  it("returns an empty name without FN, N or ORG", () => {
    const text = crlf("BEGIN:VCARD", "TEL:+49301234567", "END:VCARD");
    expect(parseVcards(text)[0]?.name).toBe("");
  });

  it("takes Apple labels of grouped numbers", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:3.0",
      "FN:Tim",
      "item1.TEL;type=pref:+49301234567",
      "item1.X-ABLabel:_$!<Mobile>!$_",
      "item2.TEL:+49307654321",
      "item2.X-ABLabel:Boat",
      "END:VCARD",
    );
    expect(parseVcards(text)[0]?.phones).toEqual([
      { value: "+49301234567", types: ["mobile"] },
      { value: "+49307654321", types: ["boat"] },
    ]);
  });
});

describe("vCard garbage", () => {
  it("returns no cards for empty text", () => {
    expect(parseVcards("")).toEqual([]);
  });

  it("returns no cards for text without BEGIN", () => {
    expect(parseVcards("hello\nFN:Nobody\nTEL:+49301234567\n")).toEqual([]);
  });

  it("returns no cards for binary noise", () => {
    const noise = String.fromCharCode(
      ...Array.from({ length: 2000 }, (_, index) => (index * 7919) % 256),
    );
    expect(parseVcards(noise)).toEqual([]);
  });

  it("ignores an END without BEGIN", () => {
    const text = crlf("END:VCARD", "BEGIN:VCARD", "FN:Real", "END:VCARD");
    expect(parseVcards(text).map((card) => card.name)).toEqual(["Real"]);
  });

  it("keeps a card cut off before END", () => {
    const text = crlf("BEGIN:VCARD", "FN:Cut", "TEL:+49301234567");
    expect(parseVcards(text)).toEqual([
      { name: "Cut", phones: [{ value: "+49301234567", types: [] }] },
    ]);
  });

  it("skips lines without a colon and empty numbers", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "this line is broken",
      "TEL;TYPE=CELL:",
      "FN:Survivor",
      "END:VCARD",
    );
    expect(parseVcards(text)).toEqual([{ name: "Survivor", phones: [] }]);
  });

  it("skips a nested AGENT card", () => {
    const text = crlf(
      "BEGIN:VCARD",
      "VERSION:2.1",
      "FN:Boss",
      "AGENT:",
      "BEGIN:VCARD",
      "FN:Assistant",
      "TEL:+49309999999",
      "END:VCARD",
      "TEL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)).toEqual([
      { name: "Boss", phones: [{ value: "+49301234567", types: [] }] },
    ]);
  });

  it("ignores a large folded PHOTO", () => {
    const photo = Array.from({ length: 500 }, () => " QUJDREVGR0g=");
    const text = crlf(
      "BEGIN:VCARD",
      "FN:Pic",
      "PHOTO;ENCODING=b;TYPE=JPEG:QUJD",
      ...photo,
      "TEL:+49301234567",
      "END:VCARD",
    );
    expect(parseVcards(text)).toEqual([
      { name: "Pic", phones: [{ value: "+49301234567", types: [] }] },
    ]);
  });
});
