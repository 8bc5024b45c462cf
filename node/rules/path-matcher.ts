// Every rule's path globs compiled into one segment trie, walked once per request.
//
//   root ─ "categories" ─ (*) ·            bits: rules whose glob ends at a node ("·")
//        └ "items" ─ (*) ·
//                  └ (**) ·                 "**" nodes loop on themselves
//
// The walk is a set-of-states simulation (an NFA): after each segment the active set holds every trie node the
// path prefix can be at. Entering a node also enters its "**" child (a globstar matches zero segments), and a "**"
// node stays active on any segment. Each node is added at most once per step (an epoch mark dedups), so the cost is
// bounded by segments × trie nodes, whatever the globs — no backtracking blow-up.
// Literal children are found by a hash of the segment's characters and confirmed by comparing characters at the
// segment's offset: no substring is cut out of the path, nothing is allocated per request.
import type { GlobSegment } from './path-glob.js'
import { orInto, setBit } from './rule-bitset.js'
import { FNV_OFFSET, FNV_PRIME, segmentHash } from './segment-hash.js'

class TrieNode {
  /** Literal segment this node stands for ('' for the root, "*" and "**" nodes). */
  readonly segment: string
  readonly isGlobstar: boolean
  /** Literal children by segment hash; colliding children chain through `nextSameHash`. */
  literals: Map<number, TrieNode> | undefined = undefined
  nextSameHash: TrieNode | undefined = undefined
  star: TrieNode | undefined = undefined
  globstar: TrieNode | undefined = undefined
  /** Rules whose glob ends here, or undefined. */
  bits: Uint32Array | undefined = undefined
  mark = 0

  constructor(segment: string, isGlobstar: boolean) {
    this.segment = segment
    this.isGlobstar = isGlobstar
  }
}

/** path[pos .. pos+length) === text; a short loop the JIT inlines beats a builtin call for segment-sized strings. */
function sameText(path: string, pos: number, text: string, length: number): boolean {
  for (let k = 0; k < length; k++) if (path.charCodeAt(pos + k) !== text.charCodeAt(k)) return false
  return true
}

export class PathTrie {
  private readonly root = new TrieNode('', false)
  private readonly words: number
  private nodeCount = 1
  private current: TrieNode[] = []
  private next: TrieNode[] = []
  private epoch = 0

  constructor(words: number) {
    this.words = words
  }

  /** Adds one glob of rule `rule`. Call before the first `match`. */
  add(segments: readonly GlobSegment[], rule: number): void {
    let node = this.root
    for (const seg of segments) {
      if (seg.kind === 'star') node = node.star ??= this.newNode('*', false)
      else if (seg.kind === 'globstar') node = node.globstar ??= this.newNode('**', true)
      else node = this.literalChild(node, seg.text)
    }
    node.bits ??= new Uint32Array(this.words)
    setBit(node.bits, rule)
    // The active sets can hold every node at once; size them now so `match` never grows an array.
    while (this.current.length < this.nodeCount) {
      this.current.push(this.root)
      this.next.push(this.root)
    }
  }

  private newNode(segment: string, isGlobstar: boolean): TrieNode {
    this.nodeCount++
    return new TrieNode(segment, isGlobstar)
  }

  private literalChild(parent: TrieNode, text: string): TrieNode {
    const h = segmentHash(text, 0, text.length)
    parent.literals ??= new Map()
    let child = parent.literals.get(h)
    for (let c = child; c !== undefined; c = c.nextSameHash) if (c.segment === text) return c
    const created = this.newNode(text, false)
    created.nextSameHash = child
    child = created
    parent.literals.set(h, child)
    return child
  }

  /**
   * ORs into `out` the rules with a glob matching `path` (a normalised path). Empty segments — a trailing slash,
   * or "//" in a path that was not normalised — are skipped.
   */
  match(path: string, out: Uint32Array): void {
    let cur = this.current
    let nxt = this.next
    let n = this.enter(this.root, cur, 0, ++this.epoch)
    const len = path.length
    let pos = path.charCodeAt(0) === 47 ? 1 : 0
    while (pos < len) {
      // One pass over the segment finds its end and its hash (segmentHash, inlined).
      let hash = FNV_OFFSET
      let end = pos
      for (; end < len; end++) {
        const c = path.charCodeAt(end)
        if (c === 47) break
        hash = Math.imul(hash ^ c, FNV_PRIME)
      }
      if (end === pos) {
        pos++
        continue
      }
      const epoch = ++this.epoch
      const segLen = end - pos
      let m = 0
      for (let i = 0; i < n; i++) {
        const node = cur[i]!
        if (node.isGlobstar) m = this.enter(node, nxt, m, epoch)
        if (node.literals !== undefined) {
          for (let c = node.literals.get(hash); c !== undefined; c = c.nextSameHash) {
            if (c.segment.length === segLen && sameText(path, pos, c.segment, segLen)) m = this.enter(c, nxt, m, epoch)
          }
        }
        if (node.star !== undefined) m = this.enter(node.star, nxt, m, epoch)
      }
      if (m === 0) return
      const swap = cur
      cur = nxt
      nxt = swap
      n = m
      pos = end + 1
    }
    for (let i = 0; i < n; i++) {
      const bits = cur[i]!.bits
      if (bits !== undefined) orInto(out, bits)
    }
  }

  /** Adds `node` and, through "**" children, every node reachable without consuming a segment. */
  private enter(node: TrieNode, set: TrieNode[], size: number, epoch: number): number {
    for (let at: TrieNode | undefined = node; at !== undefined && at.mark !== epoch; at = at.globstar) {
      at.mark = epoch
      set[size++] = at
    }
    return size
  }

  /** True when no glob was added (then `match` would find nothing). */
  get empty(): boolean {
    return this.nodeCount === 1 && this.root.bits === undefined
  }
}
