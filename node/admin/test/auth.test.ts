import { describe, expect, it } from 'vitest'
import { BearerAuth, MAX_AUTHORIZATION_CHARS } from '../auth.js'

const TOKEN = 'a-long-enough-admin-token'

function refusal(auth: BearerAuth, header: string): string | null {
  try {
    auth.check(header)
    return null
  } catch (err) {
    expect((err as { code: string }).code).toBe('MELIPROXY_ERR_ADMIN_UNAUTHORIZED')
    return (err as Error).message
  }
}

describe('BearerAuth', () => {
  it('accepts exactly "Bearer <token>" (scheme case-insensitive)', () => {
    const auth = new BearerAuth(TOKEN)
    expect(refusal(auth, `Bearer ${TOKEN}`)).toBeNull()
    expect(refusal(auth, `bearer  ${TOKEN}`)).toBeNull()
    expect(refusal(auth, '')).toMatch(/needs "Authorization: Bearer/)
    expect(refusal(auth, `Basic ${TOKEN}`)).toMatch(/not "Bearer/)
    expect(refusal(auth, `Bearer ${TOKEN}x`)).toMatch(/not valid/)
    expect(refusal(auth, `Bearer ${TOKEN.slice(1)}`)).toMatch(/not valid/)
    expect(refusal(auth, `Bearer ${TOKEN} extra`)).toMatch(/not "Bearer/)
    expect(refusal(auth, `Bearer ${'x'.repeat(MAX_AUTHORIZATION_CHARS)}`)).toMatch(/not "Bearer/)
  })

  it('refuses everything when no token is configured', () => {
    const auth = new BearerAuth(undefined)
    expect(auth.configured).toBe(false)
    expect(refusal(auth, 'Bearer ')).toMatch(/no admin token is configured/)
    expect(refusal(auth, 'Bearer undefined')).toMatch(/no admin token is configured/)
  })
})
