// A header condition's value: exact text, or a glob where "*" stands for any run of characters (empty included).
// Precompiled into its literal pieces; matching anchors the first and last piece and finds the middle ones in
// order with indexOf — no regex, no allocation. Values are compared case-sensitively, as HTTP field values are.

export const MAX_HEADER_VALUE_GLOB_LENGTH = 1024

export class HeaderValueGlob {
  readonly source: string
  private readonly exact: boolean
  private readonly first: string
  private readonly last: string
  private readonly middle: readonly string[]
  private readonly minLength: number

  constructor(source: string) {
    this.source = source
    const pieces = source.split('*')
    this.exact = pieces.length === 1
    this.first = pieces[0]!
    this.last = pieces.length > 1 ? pieces[pieces.length - 1]! : ''
    this.middle = pieces.slice(1, -1).filter((p) => p !== '')
    this.minLength = pieces.reduce((n, p) => n + p.length, 0)
  }

  matches(value: string): boolean {
    if (this.exact) return value === this.source
    if (value.length < this.minLength || !value.startsWith(this.first) || !value.endsWith(this.last)) return false
    let at = this.first.length
    const stop = value.length - this.last.length
    const middle = this.middle
    for (let i = 0; i < middle.length; i++) {
      const piece = middle[i]!
      const found = value.indexOf(piece, at)
      if (found < 0 || found + piece.length > stop) return false
      at = found + piece.length
    }
    return true
  }
}
