import type { ParseError } from 'jsonc-parser';
import { packageRequire } from '../_builtins.ts';
import type { TextLocation } from '../errors.ts';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object: the shape of every config. */
export type JsonObject = { [key: string]: Json };

const REASONS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a double-quoted key (trailing comma?)',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the key',
  CommaExpected: 'expected "," or a closing bracket',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string (raw newline or tab?)',
};

type JsoncParser = typeof import('jsonc-parser');
let jsonc: JsoncParser | undefined;
// jsonc-parser is needed only to explain an error or to find a repeated key: load it then
function jsoncParser(): JsoncParser {
  jsonc ??= packageRequire()('jsonc-parser') as JsoncParser;
  return jsonc;
}

/** Where `offset` falls in `text`, as 1-based line and column plus the line's text. */
export function locate(text: string, offset: number): TextLocation {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = text.length;
  return {
    line,
    column: offset - lineStart + 1,
    lineText: text.slice(lineStart, lineEnd).replace(/\r$/, ''),
  };
}

/** Thrown by `parseJson`; callers turn it into an error that names the file. */
export class _JsonSyntaxError extends Error {
  constructor(
    readonly location: TextLocation,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Parses strict JSON. The fast path is `JSON.parse`; only on failure is the text scanned again
 * to find the line and column of the first error (V8's own message has no position).
 */
export function parseJson(text: string): Json {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as Json;
  } catch {
    const { parse: parseTolerant, printParseErrorCode } = jsoncParser();
    const errors: ParseError[] = [];
    parseTolerant(body, errors, {
      disallowComments: true,
      allowTrailingComma: false,
      allowEmptyContent: false,
    });
    const first = errors[0];
    if (!first) {
      // jsonc-parser is more lenient than JSON.parse in a few corners (e.g. lone surrogates)
      return locateByProbe(body);
    }
    const reason =
      body.trim() === ''
        ? 'the file is empty'
        : (REASONS[printParseErrorCode(first.error)] ?? `syntax error (${printParseErrorCode(first.error)})`);
    throw new _JsonSyntaxError(locate(body, Math.min(first.offset, body.length)), reason);
  }
}

function locateByProbe(body: string): never {
  throw new _JsonSyntaxError(locate(body, 0), 'not valid JSON');
}

/** Keys that appear twice in one object: JSON.parse silently keeps the last, which hides mistakes. */
export function findDuplicateKeys(text: string): { key: string; location: TextLocation }[] {
  const found: { key: string; location: TextLocation }[] = [];
  // fast path: no key text occurs twice anywhere, so no object can repeat one
  const seenAnywhere = new Set<string>();
  let repeated = false;
  // the unrolled form of a string, which never backtracks deeply (a 1 MiB string is fine)
  for (const match of text.matchAll(/"([^"\\]*(?:\\.[^"\\]*)*)"\s*:/g)) {
    if (seenAnywhere.has(match[1] as string)) {
      repeated = true;
      break;
    }
    seenAnywhere.add(match[1] as string);
  }
  if (!repeated) return found;
  const stack: Set<string>[] = [];
  jsoncParser().visit(text, {
    onObjectBegin: () => {
      stack.push(new Set());
    },
    onObjectEnd: () => {
      stack.pop();
    },
    onObjectProperty: (key, offset) => {
      const seen = stack[stack.length - 1];
      if (!seen) return;
      if (seen.has(key)) found.push({ key, location: locate(text, offset) });
      seen.add(key);
    },
  });
  return found;
}

/** "an array", "a string", ... for messages. */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
