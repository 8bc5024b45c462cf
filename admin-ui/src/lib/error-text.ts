// What an error from the API client means to the operator: a short title and one sentence. Matches on `code`.

export interface ErrorText {
  kind: 'unreachable' | 'unauthorized' | 'api' | 'unexpected'
  title: string
  detail: string
}

export function errorText(error: Error): ErrorText {
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'MELIPROXY_ERR_UI_UNREACHABLE':
      return { kind: 'unreachable', title: 'Node unreachable', detail: `${error.message}. Retrying.` }
    case 'MELIPROXY_ERR_UI_UNAUTHORIZED':
      return {
        kind: 'unauthorized',
        title: 'Admin token needed',
        detail: 'This node needs the admin token (admin.token in cluster.yml) for this.',
      }
    case 'MELIPROXY_ERR_UI_API': {
      const apiCode = (error as { apiCode?: unknown }).apiCode
      const status = (error as { status?: unknown }).status
      // The node answers 503 "unavailable" while it stops: for the operator it is going away, like an unreachable one.
      if (apiCode === 'unavailable') return { kind: 'unreachable', title: 'Node unavailable', detail: `${error.message}. Retrying.` }
      return { kind: 'api', title: `The API refused (${String(status)} ${String(apiCode)})`, detail: error.message }
    }
    case 'MELIPROXY_ERR_UI_BAD_RESPONSE':
      return { kind: 'unexpected', title: 'Unexpected answer', detail: error.message }
    default:
      return { kind: 'unexpected', title: 'Something went wrong', detail: error.message }
  }
}
