// A small, safe Python pickle interpreter (protocols 0-5, the opcodes that
// torch.save emits). It never executes code: GLOBAL/REDUCE/BUILD are resolved
// through the `resolveGlobal` hook, so callers decide what each class means
// (pth.ts refuses every global a state_dict does not need). Malformed data
// throws a WeightsError("corrupt").
import {WeightsError} from "./weights-error.js";

export interface PickleHooks {
  /** Returns a callable for `module.name` (called by REDUCE/NEWOBJ). */
  resolveGlobal(module: string, name: string): (...args: unknown[]) => unknown;
  /** Resolves a persistent id (BINPERSID / PERSID). */
  persistentLoad?(pid: unknown): unknown;
}

/** A Python object we don't model: keeps its class, args and state. */
export class PyObject {
  state: unknown = undefined;
  constructor(readonly module: string, readonly name: string, readonly args: unknown[]) {}
}

const MARK = Symbol("mark");

export function unpickle(bytes: Uint8Array, hooks: PickleHooks): unknown {
  return unpickleAt(bytes, hooks, 0).value;
}

/** Unpickles the object starting at `start`; `end` is the byte after its STOP. */
export function unpickleAt(bytes: Uint8Array, hooks: PickleHooks, start: number): {value: unknown; end: number} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;

  const need = (n: number) => {
    // A negative length (corrupt LONG4/BINSTRING) would move `pos` backwards and loop forever.
    if (n < 0) throw new WeightsError("corrupt", "corrupt pickle: negative length");
    if (pos + n > bytes.length) throw new WeightsError("corrupt", "pickle data ends early: the checkpoint is truncated or corrupt");
  };
  const u8 = () => { need(1); return bytes[pos++]; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = () => { need(8); const v = Number(view.getBigUint64(pos, true)); pos += 8; return v; };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new WeightsError("corrupt", "pickle data ends early (no newline)");
    const s = text.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.splice(i + 1);
        stack.pop();
        return items;
      }
    }
    throw new WeightsError("corrupt", "corrupt pickle: MARK not found");
  };
  const top = () => stack[stack.length - 1];
  const littleEndianInt = (b: Uint8Array): number => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    for (let i = 0; i < items.length; i += 2) {
      if (target instanceof Map) target.set(items[i], items[i + 1]);
      else (target as Record<string, unknown>)[String(items[i])] = items[i + 1];
    }
  };
  const callGlobal = (fn: unknown, args: unknown[]) => {
    if (typeof fn !== "function") throw new WeightsError("corrupt", "corrupt pickle: REDUCE on a non-callable");
    return fn(...args);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: return {value: stack.pop(), end: pos}; // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE (tuples are arrays)
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([stack.pop()]); break; // TUPLE1
      case 0x86: { const b = stack.pop(); const a = stack.pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = stack.pop(); const b = stack.pop(); const a = stack.pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const s = top() as Set<unknown>; items.forEach((x) => s.add(x)); break; } // ADDITEMS
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x61: { const v = stack.pop(); (top() as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (top() as unknown[]).push(...items); break; } // APPENDS
      case 0x73: { const v = stack.pop(); const k = stack.pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: stack.push(littleEndianInt(take(u8()))); break; // LONG1
      case 0x8b: stack.push(littleEndianInt(take(i32()))); break; // LONG4
      case 0x49: { const s = line(); stack.push(s === "00" ? false : s === "01" ? true : parseInt(s, 10)); break; } // INT
      case 0x4c: stack.push(parseInt(line().replace(/L$/, ""), 10)); break; // LONG
      case 0x46: stack.push(parseFloat(line())); break; // FLOAT
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(text.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text.decode(take(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x55: stack.push(text.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x54: stack.push(text.decode(take(i32()))); break; // BINSTRING
      case 0x53: stack.push(line().replace(/^['"]|['"]$/g, "")); break; // STRING
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(parseInt(line(), 10), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memo.get(u8())); break; // BINGET
      case 0x6a: stack.push(memo.get(u32())); break; // LONG_BINGET
      case 0x67: stack.push(memo.get(parseInt(line(), 10))); break; // GET
      case 0x30: stack.pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); const name = line(); stack.push(hooks.resolveGlobal(module, name)); break; } // GLOBAL
      case 0x93: { const name = stack.pop() as string; const module = stack.pop() as string; stack.push(hooks.resolveGlobal(module, name)); break; } // STACK_GLOBAL
      case 0x52: { const args = stack.pop() as unknown[]; const fn = stack.pop(); stack.push(callGlobal(fn, args)); break; } // REDUCE
      case 0x81: { const args = stack.pop() as unknown[]; const cls = stack.pop(); stack.push(callGlobal(cls, args)); break; } // NEWOBJ
      case 0x92: { stack.pop(); const args = stack.pop() as unknown[]; const cls = stack.pop(); stack.push(callGlobal(cls, args)); break; } // NEWOBJ_EX
      case 0x62: { // BUILD
        const state = stack.pop();
        const obj = top();
        // A Map's BUILD state is its instance __dict__ (e.g. a state_dict's
        // `_metadata`), not items: ignore it.
        if (obj instanceof PyObject) obj.state = state;
        break;
      }
      case 0x51: { const pid = stack.pop(); stack.push(persistent(pid)); break; } // BINPERSID
      case 0x50: stack.push(persistent(line())); break; // PERSID
      default:
        throw new WeightsError("corrupt", `unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}: the checkpoint is corrupt or not a torch state_dict`);
    }
  }

  function persistent(pid: unknown): unknown {
    if (!hooks.persistentLoad) throw new WeightsError("corrupt", "pickle has persistent ids but no persistentLoad hook");
    return hooks.persistentLoad(pid);
  }
}
