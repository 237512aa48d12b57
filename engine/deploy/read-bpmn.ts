// @ts-expect-error -- bpmn-moddle 10 ships types for its elements ('bpmn-moddle/types') but not for BpmnModdle itself
import { BpmnModdle as UntypedBpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };

/** A problem moddle met while reading: a message plus, where known, the element, property and value. */
interface ModdleWarning {
  message: string;
  element?: { id?: unknown; $type?: string };
  property?: string;
  value?: unknown;
}

// moddle elements are dynamic (their properties depend on $type), so the tree is untyped; callers narrow by $type
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ModdleDefinitions = any;

interface BpmnModdleInstance {
  fromXML(xml: string): Promise<{ rootElement: ModdleDefinitions; warnings: ModdleWarning[] }>;
}

const BpmnModdle = UntypedBpmnModdle as new (packages: Record<string, unknown>) => BpmnModdleInstance;

// One instance per process: building the registry of the BPMN and zeebe packages is the expensive part.
const moddle = new BpmnModdle({ zeebe: zeebeSchema });

/** Raised when a deployed resource is not readable BPMN; the message says where (line/column) or why. */
export class BpmnParseError extends Error {
  override name = 'BpmnParseError';
}

/** Parses BPMN XML with bpmn-moddle + the zeebe moddle extension. Throws BpmnParseError (message names line/column or the reason) on malformed XML or a non-BPMN document; import warnings are returned, not swallowed. */
export async function readBpmn(xml: string): Promise<{ definitions: ModdleDefinitions; warnings: string[] }> {
  if (xml.trim() === '') {
    throw new BpmnParseError('The BPMN document is empty.');
  }
  let result: Awaited<ReturnType<BpmnModdleInstance['fromXML']>>;
  try {
    result = await moddle.fromXML(xml);
  } catch (error) {
    throw toParseError(error);
  }
  return { definitions: result.rootElement, warnings: result.warnings.map(describeWarning) };
}

function toParseError(error: unknown): BpmnParseError {
  const { message = String(error), warnings = [] } = error as {
    message?: string;
    warnings?: ModdleWarning[];
  };
  if (message.startsWith('failed to parse document as')) {
    // well-formed XML whose root is not bpmn:definitions; the first warning names what the root is
    const root = /unexpected element (<[^>]+>)/.exec(warnings[0]?.message ?? '')?.[1];
    return new BpmnParseError(
      `Not a BPMN document: the root element must be <bpmn:definitions>${root ? `, found ${root}` : ''}.`,
    );
  }
  return new BpmnParseError(`Malformed BPMN XML: ${flattenSaxMessage(message)}.`);
}

function describeWarning(warning: ModdleWarning): string {
  const context = [
    typeof warning.element?.id === 'string' ? `element ${warning.element.id}` : undefined,
    // "unknown attribute <foo>" names its property already; "unresolved reference <x>" does not
    warning.property && !warning.message.includes(`<${warning.property}>`)
      ? `property ${warning.property}`
      : undefined,
  ].filter(Boolean);
  return `${flattenSaxMessage(warning.message)}${context.length > 0 ? ` (${context.join(', ')})` : ''}`;
}

/**
 * moddle reports parse positions as "msg\n\tline: 2\n\tcolumn: 18\n\tnested error: why", counted from 0;
 * editors count from 1, so this becomes "why at line 3, column 19 (msg)".
 */
function flattenSaxMessage(message: string): string {
  const line = /\tline: (\d+)/.exec(message)?.[1];
  const column = /\tcolumn: (\d+)/.exec(message)?.[1];
  if (line === undefined || column === undefined) {
    return message.trim();
  }
  const headline = message.split('\n')[0].trim();
  const nested = /\tnested error: (.*)/.exec(message)?.[1]?.trim();
  const position = `line ${Number(line) + 1}, column ${Number(column) + 1}`;
  return nested ? `${nested} at ${position} (${headline})` : `${headline} at ${position}`;
}
