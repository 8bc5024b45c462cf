// Path globs as rules write them: "/categories/*", "/items/**", "/". A glob is matched segment by segment against
// the normalised path: "*" is exactly one segment, "**" any number of segments (zero included), anything else a
// literal segment, compared after the same normalisation as request paths (so "/it%65ms" means "/items").
// A trailing slash is not significant on either side: "/items/" and "/items" are the same glob, and a request for
// "/items/MLA1/" matches "/items/*" (otherwise a trailing slash would be a way around a rule).
import { PathError } from './errors.js'
import { normalizePath } from './normalize-path.js'

export const MAX_GLOB_LENGTH = 1024

export type GlobSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'globstar' }

export type PathGlobParse =
  | { readonly ok: true; readonly segments: readonly GlobSegment[] }
  | { readonly ok: false; readonly problem: string }

const STAR: GlobSegment = Object.freeze({ kind: 'star' })
const GLOBSTAR: GlobSegment = Object.freeze({ kind: 'globstar' })

/** Splits and checks a glob; `problem` says what is wrong in words a rule author can act on. */
export function parsePathGlob(glob: string): PathGlobParse {
  if (glob.length > MAX_GLOB_LENGTH) return { ok: false, problem: `longer than ${MAX_GLOB_LENGTH} characters` }
  if (!glob.startsWith('/')) return { ok: false, problem: 'must start with "/"' }
  const parts = glob.split('/').slice(1)
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  const segments: GlobSegment[] = []
  for (const part of parts) {
    if (part === '') return { ok: false, problem: 'empty segment "//"' }
    if (part === '*') {
      segments.push(STAR)
      continue
    }
    if (part === '**') {
      segments.push(GLOBSTAR)
      continue
    }
    if (part.includes('*')) return { ok: false, problem: '* and ** must be a whole segment' }
    let normal: string
    try {
      normal = normalizePath(`/${part}`)
    } catch (err) {
      if (err instanceof PathError) return { ok: false, problem: err.reason }
      throw err
    }
    // "." and ".." (also encoded, "%2e") vanish from normalised paths, so a glob naming them could never match.
    if (normal === '/') return { ok: false, problem: 'dot segments never match a normalised path' }
    segments.push({ kind: 'literal', text: normal.slice(1) })
  }
  return { ok: true, segments }
}
