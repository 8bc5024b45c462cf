// A raw TCP exchange for what undici normalises away: chunk framing and header bytes as sent.
import { connect } from 'node:net'

/**
 * Writes `request` (latin1) and collects the reply until `done(bytesSoFar)` says it is complete, the
 * server closes, or `timeoutMs` passes (then rejects).
 */
export function rawExchange(port: number, request: string | Buffer, done: (received: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let settled = false
    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(Buffer.concat(chunks))
    }
    const timer = setTimeout(() => finish(new Error(`raw exchange: no complete reply within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`)), timeoutMs)
    socket.on('connect', () => socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request))
    socket.on('data', (d: Buffer) => {
      chunks.push(d)
      if (done(Buffer.concat(chunks))) finish()
    })
    socket.on('error', (err) => finish(err))
    socket.on('close', () => finish())
  })
}

/** True once a full response with a Content-Length body (or a chunked body's terminator) has arrived. */
export function responseComplete(received: Buffer): boolean {
  const headEnd = received.indexOf('\r\n\r\n')
  if (headEnd < 0) return false
  const head = received.subarray(0, headEnd).toString('latin1').toLowerCase()
  const m = /\r\ncontent-length: *(\d+)/.exec(head)
  if (m) return received.length >= headEnd + 4 + Number(m[1])
  if (head.includes('transfer-encoding: chunked')) return received.subarray(headEnd).includes('\r\n0\r\n\r\n')
  return false
}
