// A response whose status line, headers and body are computed once and replayed on every request for
// the same resource. Replaying costs one writeStatus, a few writeHeader calls and one end(): uWS adds
// Date and Content-Length itself, so prepared headers never carry them.
import type { HttpResponse } from '@trufflesuite/uws-js-unofficial'

export type HeaderList = ReadonlyArray<readonly [name: string, value: string | Buffer]>

export class PreparedResponse {
  readonly status: string
  readonly headers: HeaderList
  readonly body: Buffer
  /** Precomputed so HEAD replies don't format a number per request. */
  readonly contentLength: string

  constructor(status: string, headers: HeaderList, body: Buffer) {
    this.status = status
    this.headers = headers
    this.body = body
    this.contentLength = String(body.length)
  }

  /** Writes the whole response; for HEAD, the same headers and Content-Length with no body. Call corked. */
  send(res: HttpResponse, head: boolean): void {
    res.writeStatus(this.status)
    const headers = this.headers
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!
      res.writeHeader(h[0], h[1])
    }
    if (head) {
      // endWithoutBody(length) in this uWS build never flushes the response; writing the header ourselves works.
      res.writeHeader('content-length', this.contentLength)
      res.endWithoutBody()
    } else {
      res.end(this.body)
    }
  }
}
