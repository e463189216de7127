// XML for S3 responses and request bodies, with the AWS SDK's own XML builder and parser
// (@aws-sdk/xml-builder: the code that serialises and reads these same documents on the client side),
// so escaping and parsing follow what the SDK expects. `el` is a small shorthand over XmlNode.
import { parseXML, XmlNode, XmlText } from '@aws-sdk/xml-builder';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export type Child = XmlNode | string | number | boolean | undefined | null | readonly Child[];

/** `<name>children</name>`; undefined/null children are omitted, arrays are flattened. */
export function el(name: string, ...children: Child[]): XmlNode {
  const node = new XmlNode(name);
  const add = (c: Child): void => {
    if (c === undefined || c === null) return;
    if (Array.isArray(c)) for (const x of c) add(x);
    else if (c instanceof XmlNode) node.addChildNode(c);
    else node.addChildNode(new XmlText(String(c)));
  };
  for (const c of children) add(c);
  return node;
}

/** `<name>` only when the value is defined. */
export function opt(name: string, value: string | number | boolean | undefined): XmlNode | undefined {
  return value === undefined ? undefined : el(name, value);
}

export function document(root: XmlNode, namespace = true): string {
  if (namespace) root.addAttribute('xmlns', S3_NS);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}`;
}

/** Parses a request body; undefined when it is not XML at all. */
export function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    return parseXML(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The parser yields one object for a single element and an array for several: always an array. */
export function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
