// HTTP clients whose connections come from a given source address: any 127.0.0.0/8 address works on Linux loopback,
// so tests can be many distinct clients, as the node sees them (its client address comes from the socket).
import { Agent, request } from 'undici'

export class ClientsFrom {
  private readonly agents = new Map<string, Agent>()

  constructor(private readonly connectionsPerAddress?: number) {}

  /** The agent for `address`, created on first use and kept until close(). */
  agent(address: string): Agent {
    let agent = this.agents.get(address)
    if (agent === undefined) {
      agent = new Agent({ localAddress: address, ...(this.connectionsPerAddress === undefined ? {} : { connections: this.connectionsPerAddress }) })
      this.agents.set(address, agent)
    }
    return agent
  }

  /** GET `url` from `address`; the body is read and dropped, the status returned. */
  async status(url: string, address = '127.0.0.1'): Promise<number> {
    const res = await request(url, { dispatcher: this.agent(address) })
    await res.body.dump()
    return res.statusCode
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()))
    this.agents.clear()
  }
}
