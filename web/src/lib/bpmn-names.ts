// Pure: element names of a BPMN document by element id, read without a DOM or bpmn-js
// (test/web/bpmn-names.test.ts), so that the 异常 list names the step an incident stopped at without loading
// the diagram viewer.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character and entity references decoded (`&#10;` in a name is a line break the modeler wrote). */
function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[ref] ?? m;
  });
}

/** Each element's `name` by its `id` (the first element with an id wins; line breaks become spaces). */
export function bpmnElementNames(xml: string): Record<string, string> {
  const names: Record<string, string> = {};
  for (const tag of xml.matchAll(/<[\w:.-]+\s([^<>]*?)\/?>/g)) {
    const attrs = tag[1];
    const id = /(?:^|\s)id\s*=\s*"([^"]*)"/.exec(attrs)?.[1];
    const name = /(?:^|\s)name\s*=\s*"([^"]*)"/.exec(attrs)?.[1];
    if (id && name && !(id in names))
      names[decode(id)] = decode(name)
        .replace(/\s*\n\s*/g, ' ')
        .trim();
  }
  return names;
}
