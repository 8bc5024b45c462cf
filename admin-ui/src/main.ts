// Entry point: one session (API client + token kept in sessionStorage) for the page. The API is asked at the page's
// own directory (a node serves the UI at / beside /api/v1; behind a reverse proxy under /admin/ it still works).
import { mount } from 'svelte'
import './app.css'
import App from './App.svelte'
import { AdminSession } from './lib/session.svelte.js'
import { browserSessionStorage } from './lib/token-store.js'

const target = document.getElementById('app')
if (target === null) throw new Error('index.html has no #app element')

const session = new AdminSession({
  fetch: (input, init) => fetch(input, init),
  storage: browserSessionStorage(),
  baseUrl: new URL('.', location.href).href,
})

mount(App, { target, props: { session } })
