// Layout checks for the dashboard in Chromium: nothing overflows, nothing is
// clipped, every control can be reached and is not covered.
import type { Page } from "playwright-core";

/** Widths the dashboard must work at (issue #21). */
export const WIDTHS = [800, 1280, 1920] as const;

/**
 * Every layout defect of the page as it is now, as readable lines (empty =
 * none):
 * - the page scrolls sideways, or an element sticks out of the viewport;
 * - a container's content is wider than the container (scrollWidth >
 *   clientWidth), unless it is clipped on purpose with an ellipsis and the
 *   full text is in its `title`;
 * - a button, link or summary is not fully inside the viewport once scrolled
 *   into view, or another element covers its centre (elementFromPoint).
 */
export function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    const doc = g.document;
    const problems: string[] = [];
    // deno-lint-ignore no-explicit-any
    const describe = (e: any): string => {
      if (!e) return "nothing";
      const id = e.id ? "#" + e.id : "";
      const cls = typeof e.className === "string" && e.className
        ? "." + e.className.trim().split(/\s+/).join(".")
        : "";
      const text = (e.textContent ?? "").trim().slice(0, 30);
      return `<${e.tagName.toLowerCase()}${id}${cls}> "${text}"`;
    };
    const vw = doc.documentElement.clientWidth;
    if (doc.documentElement.scrollWidth > vw) {
      problems.push(
        `page scrolls sideways: ${doc.documentElement.scrollWidth} > ${vw}`,
      );
    }
    const skip = new Set(["SCRIPT", "STYLE", "CANVAS", "VIDEO", "IMG"]);
    for (const e of doc.querySelectorAll("body *")) {
      if (skip.has(e.tagName)) continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not displayed
      if (r.left < -0.5 || r.right > vw + 0.5) {
        problems.push(
          `${describe(e)} outside the viewport: ${r.left.toFixed(0)}..${
            r.right.toFixed(0)
          } of ${vw}`,
        );
      }
      const style = g.getComputedStyle(e);
      const clippedOnPurpose = style.textOverflow === "ellipsis" &&
        e.title !== "";
      if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
        if (!clippedOnPurpose) {
          problems.push(
            `${
              describe(e)
            } overflows: scrollWidth ${e.scrollWidth} > clientWidth ${e.clientWidth}`,
          );
        }
      }
    }
    for (const b of doc.querySelectorAll("button, a, summary")) {
      if (b.getBoundingClientRect().width === 0) continue;
      b.scrollIntoView({ block: "center", inline: "nearest" });
      const r = b.getBoundingClientRect();
      if (
        r.left < 0 || r.top < 0 || r.right > vw + 0.5 ||
        r.bottom > g.innerHeight + 0.5
      ) {
        problems.push(`${describe(b)} not fully visible when scrolled to`);
        continue;
      }
      const hit = doc.elementFromPoint(
        r.left + r.width / 2,
        r.top + r.height / 2,
      );
      if (hit === null || !(hit === b || b.contains(hit))) {
        problems.push(`${describe(b)} covered by ${describe(hit)}`);
      }
    }
    g.scrollTo(0, 0);
    return problems;
  });
}

/** Open every `<details>` (the URL lists) so that their rows are checked too. */
export async function openAllDetails(page: Page): Promise<void> {
  await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    for (const d of (globalThis as any).document.querySelectorAll("details")) {
      d.open = true;
    }
  });
}
