// Reads one rendition's FLV output straight into slab pages: a socket read
// lands in the free tail of the current page, complete tags are split off in
// place and handed to an FlvReader (which views them: no tail is ever
// pending inside it), so a tag's bytes are copied once, by the kernel's
// read, not read-then-placed. Only an incomplete tag at the end of a page
// is copied, once, to the start of the next page.
//
// Memory: bytes handed out (complete tags, [0, #start) of a page) are never
// written again; a read writes only past #end, into bytes no frame views.
// A page is never reused: once its free tail is too small it is left to the
// frames viewing it (freed by the GC after the last of them) and a fresh
// page is taken. What this adds to the bytes in use is one page plus the
// unused tails of older pages; one tag is bounded by FLV's 24-bit size.
import { FlvReader } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";

/** Start a fresh page when less than this is free past the read end. */
const MIN_READ_BYTES = 8 << 10;

/** A rendition's FLV bytes, read into pages and split into tags in place. */
export class FlvTagSlab {
  #pageBytes: number;
  #page: Uint8Array = new Uint8Array(0);
  /** Start of the bytes not yet handed out (an incomplete tag or header). */
  #start = 0;
  /** End of the bytes read. */
  #end = 0;
  /** Bytes needed from #start before parsing can progress (0: unknown). */
  #need = 0;
  #headerDone = false;
  #reader = new FlvReader();

  constructor(pageBytes: number) {
    this.#pageBytes = pageBytes;
  }

  /** Bytes read but not yet part of a complete tag. */
  get pendingBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * Where the next read goes: the free tail of the current page, or of a
   * fresh one holding a copy of the incomplete tag (never a byte handed out).
   */
  space(): Uint8Array {
    const pending = this.#end - this.#start;
    const free = this.#page.length - this.#end;
    if (free >= MIN_READ_BYTES) return this.#page.subarray(this.#end);
    // The page is full: a fresh one holding the incomplete tag, sized for
    // what of it has arrived (at most twice that), not for the size its
    // header claims: a tag declaring 16 MiB costs memory only as its bytes
    // come, and a tag larger than a page moves at most log2(size/page)
    // times (its copies add up to less than twice its size).
    const page = new Uint8Array(
      Math.max(
        this.#pageBytes,
        Math.min(this.#need, 2 * pending) + MIN_READ_BYTES,
      ),
    );
    if (pending > 0) page.set(this.#page.subarray(this.#start, this.#end));
    this.#page = page;
    this.#start = 0;
    this.#end = pending;
    return page.subarray(pending);
  }

  /**
   * `n` bytes were read into the view `space()` returned: the frames of
   * every tag they complete (viewing the page).
   *
   * @throws {BitstreamError} on a bad FLV header
   * @throws {StreamError} `Unsupported` for encrypted tags or unsupported codecs
   */
  commit(n: number): MediaFrame[] {
    this.#end += n;
    const page = this.#page;
    const end = this.#end;
    if (end - this.#start < this.#need) return [];
    let pos = this.#start;
    if (!this.#headerDone) {
      // The header and PreviousTagSize0, pushed alone once complete.
      if (end - pos < 9) return [];
      const offset = ((page[pos + 5]! << 24) | (page[pos + 6]! << 16) |
        (page[pos + 7]! << 8) | page[pos + 8]!) >>> 0;
      const headerEnd = pos + Math.max(9, Math.min(offset, 1 << 16)) + 4;
      if (end < headerEnd && offset >= 9 && offset <= 1 << 16) return [];
      // A bad header throws here (FlvReader checks it).
      this.#reader.push(page.subarray(pos, Math.min(end, headerEnd)));
      this.#headerDone = true;
      pos = headerEnd;
      this.#start = pos;
    }
    this.#need = 0;
    while (end - pos >= 15) {
      const size = (page[pos + 1]! << 16) | (page[pos + 2]! << 8) |
        page[pos + 3]!;
      if (end - pos < 15 + size) {
        this.#need = 15 + size;
        break;
      }
      pos += 15 + size;
    }
    if (this.#need === 0) this.#need = 15;
    if (pos === this.#start) return [];
    const tags = page.subarray(this.#start, pos);
    this.#start = pos;
    return this.#reader.push(tags);
  }
}
