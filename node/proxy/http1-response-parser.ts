// An incremental HTTP/1.1 response parser for a pipelined connection (RFC 9112). Bytes go in as the socket delivers
// them, split anywhere; out come, per response, the head (status, reason, raw header Buffers), body slices and the end
// (with raw trailer Buffers). What makes pipelining correct is knowing exactly where each response ends:
//
//   HEAD request, 1xx, 204, 304           → no body (the head ends the message; 1xx is followed by the real response)
//   Transfer-Encoding ending in chunked   → chunks: size [; ext[=val]]* CRLF data CRLF ... 0 CRLF trailers CRLF
//   Transfer-Encoding, chunked not last   → until the connection closes
//   Content-Length                        → exactly that many bytes
//   neither                               → until the connection closes (finish() ends it)
//
// Both Transfer-Encoding and Content-Length, a second Content-Length, a bare CR or LF, obs-fold, a space before the
// colon, a control byte in a value, a 101 that nobody asked for: all malformed (the smuggling-shaped cases are
// rejected, not guessed). Header names and values are subarrays of the received bytes (byte-exact, no copy) and stay
// valid after the call: Node never reuses a socket read's Buffer.
//
// The head is parsed once its end (CRLF CRLF) is in hand: in the usual case the whole head is in one read and is
// scanned once; a head split across reads is kept (as a view) and joined with the next read. Chunk-size lines are
// parsed byte by byte (they are short), so they may split anywhere without buffering.
//
// Pausing: when onHead/onBody returns false the parser stops and keeps the rest of the read; resume() continues. A
// body that is complete when its last onBody returns false still ends (onEnd) and parsing goes on: the next response
// belongs to another request, and a reader that is done must not hold it back.
import { UpstreamHeadersTooLargeError, UpstreamMalformedResponseError } from './errors.js'

/** Receives what the parser finds. Called synchronously from execute()/resume()/finish(), never after halt(). */
export interface ResponseParserSink {
  /** The first byte of a response arrived. Returns true when it answers a HEAD request (so it has no body). */
  onMessageBegin(): boolean
  /** A 1xx interim response (never 101); the final response follows. */
  onInformational(status: number, reason: string, headers: Buffer[]): void
  /** The final response's head. keepAlive: the connection may carry another response after this one. false → pause. */
  onHead(status: number, reason: string, headers: Buffer[], keepAlive: boolean): boolean
  /** Body bytes (never empty). false → pause parsing until resume(). */
  onBody(chunk: Buffer): boolean
  /** The response ended; trailers are raw name/value Buffers (empty when none). Do not mutate the array. */
  onEnd(trailers: Buffer[]): void
}

export const PARSER_LIMITS = {
  /** Status line + header lines + the empty line, and separately each trailer section. */
  maxHeaderBytes: 64 * 1024,
  /** One chunk-size line with its extensions. */
  maxChunkLineBytes: 4096,
  /** A chunk size above this is refused (2^48: no real body is that large; keeps arithmetic exact). */
  maxChunkSize: 2 ** 48,
} as const

const enum State {
  Idle,
  Head,
  BodyLength,
  BodyUntilClose,
  ChunkSizeStart,
  ChunkSize,
  ChunkExtSemi,
  ChunkExtNameStart,
  ChunkExtName,
  ChunkExtAfterName,
  ChunkExtValueStart,
  ChunkExtValueToken,
  ChunkExtQuoted,
  ChunkExtQuotedEscape,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  Trailers,
  Dead,
}

const CR = 13
const LF = 10
const SP = 32
const HTAB = 9
const COLON = 58
const COMMA = 44
const SEMI = 59
const EQUALS = 61
const DQUOTE = 34
const BACKSLASH = 92
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1')
const LFLF = Buffer.from('\n\n', 'latin1')
const NO_TRAILERS: Buffer[] = []

/** tchar (RFC 9110 §5.6.2): what a header name or chunk-extension name may contain. */
const TOKEN = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1
/** field-vchar / SP / HTAB / obs-text: what a header value or reason phrase may contain. */
const FIELD = new Uint8Array(256)
for (let c = 0; c < 256; c++) FIELD[c] = c === HTAB || (c >= 0x20 && c !== 0x7f) ? 1 : 0
/** qdtext and the targets of quoted-pair inside a quoted chunk-extension value. */
const QDTEXT = new Uint8Array(256)
for (let c = 0; c < 256; c++) QDTEXT[c] = FIELD[c] === 1 && c !== DQUOTE && c !== BACKSLASH ? 1 : 0
/** Hex digit values + 1 (0 = not a hex digit). */
const HEX = new Uint8Array(256)
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i + 1
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i + 1
}

const LOWER_CONNECTION = Buffer.from('connection', 'latin1')
const LOWER_CONTENT_LENGTH = Buffer.from('content-length', 'latin1')
const LOWER_TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1')
const LOWER_CLOSE = Buffer.from('close', 'latin1')
const LOWER_KEEP_ALIVE = Buffer.from('keep-alive', 'latin1')
const LOWER_CHUNKED = Buffer.from('chunked', 'latin1')

/** ASCII case-insensitive comparison of buf[start, end) with a lower-case literal (the bytes are tchars or OWS-free). */
function equalsLower(buf: Buffer, start: number, end: number, lower: Buffer): boolean {
  if (end - start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) if ((buf[start + i]! | 0x20) !== lower[i]) return false
  return true
}

export class Http1ResponseParser {
  readonly sink: ResponseParserSink
  readonly maxHeaderBytes: number
  /** True while parsing stopped on a false from onHead/onBody; resume() continues. */
  paused = false

  private state = State.Idle
  /** Set by halt(): checked after every sink call, which may halt the parser (the connection dies). */
  private halted = false
  /** A head or trailer section whose end has not arrived yet: the bytes from its start (a view, not a copy). */
  private partial: Buffer | null = null
  /** What execute() stopped on while paused. */
  private held: Buffer | null = null
  private heldAt = 0
  private isHeadRequest = false
  private remaining = 0
  private chunkLineBytes = 0
  // Facts of the head being parsed (set by parseFields).
  private contentLength = -1
  private duplicateLength = false
  private transferEncoding = false
  private chunkedLast = false
  private chunkedSeen = false
  private chunkedTwice = false
  private connectionClose = false
  private connectionKeepAlive = false

  constructor(sink: ResponseParserSink, maxHeaderBytes: number = PARSER_LIMITS.maxHeaderBytes) {
    this.sink = sink
    this.maxHeaderBytes = maxHeaderBytes
  }

  /** Between two responses with nothing buffered: a close now is a clean end. */
  get idle(): boolean {
    return this.state === State.Idle && this.partial === null
  }

  /** The body runs until the connection closes (finish() ends it). */
  get readsUntilClose(): boolean {
    return this.state === State.BodyUntilClose
  }

  /** Stops for good: nothing more reaches the sink (the connection is being destroyed). */
  halt(): void {
    this.halted = true
    this.state = State.Dead
    this.partial = null
    this.held = null
  }

  /** Feeds bytes. Returns an error when they are not a valid response (the parser is then dead). */
  execute(data: Buffer): Error | null {
    if (this.halted) return null
    if (this.paused) {
      // Only reachable if the owner keeps reading while paused; keep the order of the bytes.
      const rest = this.held === null ? data : Buffer.concat([this.held.subarray(this.heldAt), data])
      this.held = rest
      this.heldAt = 0
      return null
    }
    return this.run(data, 0)
  }

  /** Continues after a pause with the bytes held back. */
  resume(): Error | null {
    if (!this.paused || this.halted) return null
    this.paused = false
    const held = this.held
    if (held === null) return null
    this.held = null
    return this.run(held, this.heldAt)
  }

  /**
   * The connection reached its end (EOF). A body read until close ends here (onEnd); returns 'ended' then, 'idle'
   * when no response was in progress, 'cut' when one was (the caller fails it).
   */
  finish(): 'ended' | 'idle' | 'cut' {
    if (this.state === State.BodyUntilClose) {
      if (this.paused && this.held !== null) return 'cut' // never expected: an EOF is only acted on when not paused
      this.state = State.Idle
      this.sink.onEnd(NO_TRAILERS)
      return 'ended'
    }
    return this.idle ? 'idle' : 'cut'
  }

  private run(data: Buffer, at: number): Error | null {
    let buf = data
    let pos = at
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, data.subarray(at)])
      pos = 0
      this.partial = null
    }
    const len = buf.length
    while (pos < len) {
      switch (this.state) {
        case State.Idle: {
          this.isHeadRequest = this.sink.onMessageBegin()
          if (this.halted) return null
          this.state = State.Head
          break
        }
        case State.Head: {
          const end = buf.indexOf(CRLFCRLF, pos)
          if (end < 0) return this.keepPartial(buf, pos)
          if (end + 4 - pos > this.maxHeaderBytes) return this.fail(new UpstreamHeadersTooLargeError(this.maxHeaderBytes))
          const err = this.onHeadBlock(buf, pos, end + 2)
          if (err !== null) return this.fail(err)
          pos = end + 4
          if (this.halted) return null
          if (this.paused) return this.hold(buf, pos)
          break
        }
        case State.BodyLength: {
          const n = Math.min(this.remaining, len - pos)
          const chunk = buf.subarray(pos, pos + n)
          pos += n
          this.remaining -= n
          const go = this.sink.onBody(chunk)
          if (this.halted) return null
          if (this.remaining === 0) {
            this.endMessage(NO_TRAILERS)
            if (this.halted) return null
          } else if (!go) {
            this.paused = true
            return this.hold(buf, pos)
          }
          break
        }
        case State.BodyUntilClose: {
          const chunk = pos === 0 ? buf : buf.subarray(pos)
          pos = len
          if (!this.sink.onBody(chunk) && !this.halted) this.paused = true
          return null
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, len - pos)
          const chunk = buf.subarray(pos, pos + n)
          pos += n
          this.remaining -= n
          if (this.remaining === 0) this.state = State.ChunkDataCr
          if (!this.sink.onBody(chunk)) {
            if (this.halted) return null
            this.paused = true
            return this.hold(buf, pos)
          }
          if (this.halted) return null
          break
        }
        case State.ChunkDataCr:
          if (buf[pos] !== CR) return this.fail(malformed('chunk data not followed by CRLF'))
          pos++
          this.state = State.ChunkDataLf
          break
        case State.ChunkDataLf:
          if (buf[pos] !== LF) return this.fail(malformed('chunk data not followed by CRLF'))
          pos++
          this.state = State.ChunkSizeStart
          this.chunkLineBytes = 0
          break
        case State.Trailers: {
          // An empty trailer section is just the final CRLF.
          if (buf[pos] === CR) {
            if (pos + 1 >= len) return this.keepPartial(buf, pos)
            if (buf[pos + 1] !== LF) return this.fail(malformed('bare CR after the last chunk'))
            pos += 2
            this.endMessage(NO_TRAILERS)
            if (this.halted) return null
            break
          }
          const end = buf.indexOf(CRLFCRLF, pos)
          if (end < 0) return this.keepPartial(buf, pos)
          if (end + 4 - pos > this.maxHeaderBytes) return this.fail(new UpstreamHeadersTooLargeError(this.maxHeaderBytes))
          const trailers: Buffer[] = []
          const err = this.parseFields(buf, pos, end + 2, trailers, false)
          if (err !== null) return this.fail(err)
          pos = end + 4
          this.endMessage(trailers)
          if (this.halted) return null
          break
        }
        case State.Dead:
          return null
        default: {
          // Chunk-size line states: byte by byte.
          const r = this.chunkLine(buf, pos, len)
          if (r < 0) return this.fail(malformed(r === -2 ? `chunk-size line longer than ${PARSER_LIMITS.maxChunkLineBytes} bytes` : 'invalid chunk-size line'))
          pos = r
        }
      }
    }
    return null
  }

  /** Consumes chunk-size line bytes from pos; returns the new position, -1 when malformed, -2 when too long. */
  private chunkLine(buf: Buffer, start: number, len: number): number {
    let pos = start
    let state = this.state
    for (; pos < len; pos++) {
      const c = buf[pos]!
      if (++this.chunkLineBytes > PARSER_LIMITS.maxChunkLineBytes) return -2
      switch (state) {
        case State.ChunkSizeStart:
        case State.ChunkSize: {
          const h = HEX[c]!
          if (h !== 0) {
            this.remaining = this.remaining * 16 + h - 1
            if (this.remaining > PARSER_LIMITS.maxChunkSize) return -1
            state = State.ChunkSize
          } else if (state === State.ChunkSizeStart) return -1
          else if (c === CR) state = State.ChunkSizeLf
          else if (c === SEMI) state = State.ChunkExtNameStart
          else if (c === SP || c === HTAB) state = State.ChunkExtSemi
          else return -1
          break
        }
        case State.ChunkExtSemi:
          if (c === SEMI) state = State.ChunkExtNameStart
          else if (c === CR) state = State.ChunkSizeLf
          else if (c !== SP && c !== HTAB) return -1
          break
        case State.ChunkExtNameStart:
          if (TOKEN[c] === 1) state = State.ChunkExtName
          else if (c !== SP && c !== HTAB) return -1
          break
        case State.ChunkExtName:
        case State.ChunkExtAfterName:
          if (TOKEN[c] === 1 && state === State.ChunkExtName) break
          if (c === EQUALS) state = State.ChunkExtValueStart
          else if (c === SEMI) state = State.ChunkExtNameStart
          else if (c === CR) state = State.ChunkSizeLf
          else if (c === SP || c === HTAB) state = State.ChunkExtAfterName
          else return -1
          break
        case State.ChunkExtValueStart:
          if (c === DQUOTE) state = State.ChunkExtQuoted
          else if (TOKEN[c] === 1) state = State.ChunkExtValueToken
          else if (c !== SP && c !== HTAB) return -1
          break
        case State.ChunkExtValueToken:
          if (TOKEN[c] === 1) break
          if (c === SEMI) state = State.ChunkExtNameStart
          else if (c === CR) state = State.ChunkSizeLf
          else if (c === SP || c === HTAB) state = State.ChunkExtSemi
          else return -1
          break
        case State.ChunkExtQuoted:
          if (c === DQUOTE) state = State.ChunkExtSemi
          else if (c === BACKSLASH) state = State.ChunkExtQuotedEscape
          else if (QDTEXT[c] !== 1) return -1
          break
        case State.ChunkExtQuotedEscape:
          if (FIELD[c] !== 1) return -1
          state = State.ChunkExtQuoted
          break
        case State.ChunkSizeLf:
          if (c !== LF) return -1
          this.state = this.remaining === 0 ? State.Trailers : State.ChunkData
          return pos + 1
        default:
          return -1
      }
    }
    this.state = state
    return pos
  }

  /** The head [start, end) ends with the CRLF of its last line (the empty line follows at end). */
  private onHeadBlock(buf: Buffer, start: number, end: number): Error | null {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
    const lineEnd = buf.indexOf(CR, start)
    if (lineEnd - start < 12 || buf[lineEnd + 1] !== LF) return malformed('invalid status line')
    if (
      buf[start] !== 0x48 || buf[start + 1] !== 0x54 || buf[start + 2] !== 0x54 || buf[start + 3] !== 0x50 ||
      buf[start + 4] !== 0x2f || buf[start + 5] !== 0x31 || buf[start + 6] !== 0x2e
    ) {
      return malformed('the status line does not start with HTTP/1.')
    }
    const minor = buf[start + 7]! - 48
    if ((minor !== 0 && minor !== 1) || buf[start + 8] !== SP) return malformed('unsupported HTTP version')
    const d0 = buf[start + 9]! - 48
    const d1 = buf[start + 10]! - 48
    const d2 = buf[start + 11]! - 48
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return malformed('invalid status code')
    const status = d0 * 100 + d1 * 10 + d2
    let reason = ''
    if (lineEnd > start + 12) {
      if (buf[start + 12] !== SP) return malformed('invalid status line')
      for (let i = start + 13; i < lineEnd; i++) if (FIELD[buf[i]!] !== 1) return malformed('invalid byte in the reason phrase')
      // "OK" is nearly every response: skip the decode.
      reason = lineEnd - start === 15 && buf[start + 13] === 0x4f && buf[start + 14] === 0x4b ? 'OK' : buf.toString('utf8', start + 13, lineEnd)
    }

    this.contentLength = -1
    this.duplicateLength = false
    this.transferEncoding = false
    this.chunkedLast = false
    this.chunkedSeen = false
    this.chunkedTwice = false
    this.connectionClose = false
    this.connectionKeepAlive = false
    const headers: Buffer[] = []
    const err = this.parseFields(buf, lineEnd + 2, end, headers, true)
    if (err !== null) return err

    if (status < 200) {
      if (status === 101) return malformed('101 Switching Protocols without an upgrade request')
      this.sink.onInformational(status, reason, headers)
      return null // the final response follows, still for the same request (state stays Head)
    }
    if (this.duplicateLength) return malformed('more than one Content-Length')
    if (this.transferEncoding && this.contentLength >= 0) return malformed('both Transfer-Encoding and Content-Length')
    if (this.chunkedTwice) return malformed('chunked applied more than once')

    let next: State
    if (this.isHeadRequest || status === 204 || status === 304) next = State.Idle
    else if (this.transferEncoding) next = this.chunkedLast ? State.ChunkSizeStart : State.BodyUntilClose
    else if (this.contentLength > 0) next = State.BodyLength
    else if (this.contentLength === 0) next = State.Idle
    else next = State.BodyUntilClose
    const keepAlive = next !== State.BodyUntilClose && (minor === 1 ? !this.connectionClose : this.connectionKeepAlive && !this.connectionClose)

    this.state = next
    this.remaining = next === State.BodyLength ? this.contentLength : 0
    this.chunkLineBytes = 0
    const go = this.sink.onHead(status, reason, headers, keepAlive)
    if (this.halted) return null
    if (next === State.Idle) this.endMessage(NO_TRAILERS)
    else if (!go) this.paused = true
    return null
  }

  /** Header (or trailer) lines in [start, end), each ending in CRLF. Appends name/value views to out. */
  private parseFields(buf: Buffer, start: number, end: number, out: Buffer[], isHead: boolean): Error | null {
    let i = start
    while (i < end) {
      const nameStart = i
      while (TOKEN[buf[i]!] === 1) i++
      if (i === nameStart) return malformed(buf[i] === SP || buf[i] === HTAB ? 'obsolete line folding' : 'invalid header name')
      if (buf[i] !== COLON) return malformed('invalid header name')
      const nameEnd = i
      i++
      while (buf[i] === SP || buf[i] === HTAB) i++
      const valueStart = i
      let valueEnd = i
      for (;;) {
        const c = buf[i]!
        if (c === CR) break
        if (FIELD[c] !== 1) return malformed('invalid byte in a header value')
        i++
        if (c !== SP && c !== HTAB) valueEnd = i
      }
      if (buf[i + 1] !== LF) return malformed('bare CR in a header')
      i += 2
      out.push(buf.subarray(nameStart, nameEnd), buf.subarray(valueStart, valueEnd))
      if (isHead) this.noteField(buf, nameStart, nameEnd, valueStart, valueEnd)
    }
    return null
  }

  /** Remembers what framing needs from Content-Length, Transfer-Encoding and Connection. */
  private noteField(buf: Buffer, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    const n = nameEnd - nameStart
    if (n === 14 && equalsLower(buf, nameStart, nameEnd, LOWER_CONTENT_LENGTH)) {
      if (this.contentLength !== -1 || valueEnd === valueStart || valueEnd - valueStart > 15) {
        this.duplicateLength = true // a second one, an empty one or one beyond 2^53: none is trusted
        return
      }
      let v = 0
      for (let k = valueStart; k < valueEnd; k++) {
        const d = buf[k]! - 48
        if (d < 0 || d > 9) {
          this.duplicateLength = true
          return
        }
        v = v * 10 + d
      }
      this.contentLength = v
    } else if (n === 17 && equalsLower(buf, nameStart, nameEnd, LOWER_TRANSFER_ENCODING)) {
      // A list across lines and commas; framing cares only whether chunked is the last coding.
      this.transferEncoding = true
      this.scanList(buf, valueStart, valueEnd, true)
    } else if (n === 10 && equalsLower(buf, nameStart, nameEnd, LOWER_CONNECTION)) {
      this.scanList(buf, valueStart, valueEnd, false)
    }
  }

  /** Walks a comma-separated list (OWS trimmed): Transfer-Encoding codings, or Connection options. */
  private scanList(buf: Buffer, start: number, end: number, codings: boolean): void {
    let i = start
    while (i < end) {
      while (i < end && (buf[i] === SP || buf[i] === HTAB || buf[i] === COMMA)) i++
      const s = i
      while (i < end && buf[i] !== COMMA) i++
      let e = i
      while (e > s && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--
      if (e === s) continue
      if (codings) {
        const chunked = equalsLower(buf, s, e, LOWER_CHUNKED)
        if (chunked) {
          if (this.chunkedSeen) this.chunkedTwice = true
          this.chunkedSeen = true
        }
        this.chunkedLast = chunked
      } else if (equalsLower(buf, s, e, LOWER_CLOSE)) {
        this.connectionClose = true
      } else if (equalsLower(buf, s, e, LOWER_KEEP_ALIVE)) {
        this.connectionKeepAlive = true
      }
    }
  }

  private endMessage(trailers: Buffer[]): void {
    this.state = State.Idle
    this.sink.onEnd(trailers)
  }

  /** The head or trailer section is not complete: keep its bytes, unless they already break a rule. */
  private keepPartial(buf: Buffer, pos: number): Error | null {
    if (buf.length - pos > this.maxHeaderBytes) return this.fail(new UpstreamHeadersTooLargeError(this.maxHeaderBytes))
    // A head ended by bare LFs would otherwise wait for a CRLF CRLF that never comes.
    if (buf.indexOf(LFLF, pos) >= 0) return this.fail(malformed('bare LF in the head'))
    this.partial = pos === 0 ? buf : buf.subarray(pos)
    return null
  }

  private hold(buf: Buffer, pos: number): null {
    if (pos < buf.length) {
      this.held = buf
      this.heldAt = pos
    }
    return null
  }

  private fail(err: Error): Error {
    this.halt()
    return err
  }
}

function malformed(detail: string): UpstreamMalformedResponseError {
  return new UpstreamMalformedResponseError(detail)
}
