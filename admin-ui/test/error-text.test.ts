import { describe, expect, it } from 'vitest'
import { errorText } from '../src/lib/error-text.js'
import { ApiRequestError, UnauthorizedError, UnreachableError } from '../src/lib/errors.js'

describe('error text', () => {
  it('treats a node that says it is stopping (503 unavailable) like an unreachable one', () => {
    expect(errorText(new ApiRequestError(503, 'unavailable', 'the node is stopping', []))).toEqual({
      kind: 'unreachable',
      title: 'Node unavailable',
      detail: 'the node is stopping. Retrying.',
    })
  })

  it('names the status and stable code of other API refusals, and asks for the token on 401', () => {
    expect(errorText(new ApiRequestError(409, 'conflict', 'a rule with that id exists', []))).toMatchObject({
      kind: 'api',
      title: 'The API refused (409 conflict)',
    })
    expect(errorText(new UnauthorizedError()).kind).toBe('unauthorized')
    expect(errorText(new UnreachableError('http://127.0.0.1:7070/api/v1/cluster')).title).toBe('Node unreachable')
  })
})
