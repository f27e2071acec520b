// An Extism plugin written against the AssemblyScript PDK (@extism/as-pdk) the
// way its README writes one: nothing in it knows about Caplet. It mirrors the
// Rust PDK fixture (tests/plugins/extism_kit): each export exercises one part of
// the `extism:host/env` profile and returns 0 on success, non-zero on error.
//
// as-pdk 1.0.0 covers input, output, config, vars and logging. It has no helper
// for errors, HTTP or `abort`, so this file does what its users do: it calls the
// raw imports the PDK declares in `@extism/as-pdk/lib/env` (`error_set`,
// `http_request`) and declares the one the PDK lacks (`http_status_code`).

import { Config, Host, LogLevel, Memory, Var } from "@extism/as-pdk";
import { error_set, http_request, length } from "@extism/as-pdk/lib/env";

// Not declared by as-pdk 1.0.0; Extism's signature: the status of the last
// `http_request`.
@external("extism:host/env", "http_status_code")
declare function http_status_code(): i32;

// The AssemblyScript runtime's `abort`, routed here by the compiler's
// `--use abort=assembly/index/abortHandler` (as-pdk's README does the same with
// its `myAbort`), so that the module imports nothing but `extism:host/env`.
// The message becomes the plugin's error; the trap then ends the call.
function abortHandler(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32,
): void {
  const msg =
    "abort: " +
    (message === null ? "(no message)" : message) +
    " at " +
    (fileName === null ? "?" : fileName) +
    ":" +
    lineNumber.toString() +
    ":" +
    columnNumber.toString();
  error_set(Memory.allocateString(msg).offset);
  unreachable();
}

// Sets the plugin's error message (the PDK has no helper for it).
function setError(msg: string): void {
  error_set(Memory.allocateString(msg).offset);
}

// Writes a string as UTF-8 output. The PDK's `Host.outputString` sizes the
// block by `string.length` (UTF-16 code units), which cuts non-ASCII text
// short, so text that may be non-ASCII goes through `Host.output` instead.
function outputUtf8(s: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(s)));
}

/// Extism's own example: the vowels of the input, as `{"count":N}`.
export function count_vowels(): i32 {
  const str = Host.inputString();
  let count = 0;
  for (let i = 0; i < str.length; i++) {
    const x = str.charCodeAt(i);
    if (
      x == 0x61 || x == 0x41 || // a A
      x == 0x65 || x == 0x45 || // e E
      x == 0x69 || x == 0x49 || // i I
      x == 0x6f || x == 0x4f || // o O
      x == 0x75 || x == 0x55 //    u U
    ) {
      count += 1;
    }
  }
  Host.outputString('{"count":' + count.toString() + "}");
  return 0;
}

/// The input back (bytes in, bytes out).
export function echo(): i32 {
  Host.output(Host.input());
  return 0;
}

/// `Hello, <config "name">!`; an error naming the key (code 2) when it is not set.
export function greet(): i32 {
  const name = Config.get("name");
  if (name === null) {
    setError("config key `name` is not set");
    return 2;
  }
  outputUtf8("Hello, " + name + "!");
  return 0;
}

/// Counts calls on one instance with the var `calls`: returns the count so far.
export function count_calls(): i32 {
  const prev = Var.getString("calls");
  let n: i64 = 0;
  if (prev !== null) {
    n = I64.parseInt(prev, 10);
  }
  n += 1;
  const text = n.toString();
  Var.set("calls", Uint8Array.wrap(String.UTF8.encode(text)));
  Host.outputString(text);
  return 0;
}

/// Always fails, with the input in the message.
export function fail(): i32 {
  setError("failed on purpose: " + Host.inputString());
  return 1;
}

/// Logs the input at info and warn; no output.
export function log_it(): i32 {
  const input = Host.inputString();
  Host.log(LogLevel.Info, "info: " + input);
  Host.log(LogLevel.Warn, "warn: " + input);
  return 0;
}

// The raw JSON string literal (quotes and escapes kept) of the top-level field
// `key` of a JSON object, or null. A fixture needs no JSON library: this small
// hand parse finds `"key"`, a colon and a string, and the literal is spliced
// as-is into the request JSON below, so its escapes stay valid.
function jsonStringField(json: string, key: string): string | null {
  const needle = '"' + key + '"';
  let at = json.indexOf(needle);
  if (at < 0) return null;
  let i = at + needle.length;
  while (i < json.length && isSpace(json.charCodeAt(i))) i++;
  if (i >= json.length || json.charCodeAt(i) != 0x3a /* : */) return null;
  i++;
  while (i < json.length && isSpace(json.charCodeAt(i))) i++;
  if (i >= json.length || json.charCodeAt(i) != 0x22 /* " */) return null;
  const start = i;
  i++;
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c == 0x5c /* \ */) {
      i += 2;
      continue;
    }
    if (c == 0x22) return json.substring(start, i + 1);
    i++;
  }
  return null;
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

/// GETs the URL of the JSON input `{"url":"..."}`; returns `<status> <body>`.
export function fetch(): i32 {
  const url = jsonStringField(Host.inputString(), "url");
  if (url === null) {
    setError('input must be {"url":"..."}');
    return 1;
  }
  // Extism's request: a JSON block `{"url","method","headers"}`, no body (0).
  const req = Memory.allocateString(
    '{"url":' + url + ',"method":"GET","headers":{}}',
  );
  const handle = http_request(req.offset, 0);
  const status = http_status_code();
  let body = new Uint8Array(0);
  if (handle != 0) {
    body = new Memory(handle, length(handle)).toUint8Array();
  }
  const head = Uint8Array.wrap(String.UTF8.encode(status.toString() + " "));
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  Host.output(out);
  return 0;
}

// Written through a global so that the loop has an effect to keep.
let spins: u64 = 0;

/// Never returns: stopped by fuel or by a deadline.
export function spin(): i32 {
  while (true) {
    spins += 1;
  }
}

/// Reads past the end of an array: the AssemblyScript runtime aborts (the
/// handler above sets the message, then traps).
export function crash(): i32 {
  const bytes = Host.input();
  return bytes[bytes.length + 4];
}
