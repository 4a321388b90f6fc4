import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { contains, formatIpv4, ipv4OfPeer, parseCidr, type Cidr, type Logger } from '../core/index.js';
import type { DnsAnswer } from './dns-names.js';

/** How long an upstream resolver may take before the question is answered SERVFAIL. */
export const UPSTREAM_TIMEOUT_MS = 2_000;
/** How many distinct unanswered peer addresses are logged (then no more). */
const UNANSWERED_LOGGED = 64;
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

export interface ClusterDnsOptions {
  readonly namespace: string;
  /** The namespace bridge's address: where replicas' embedded DNS forwards what it does not know. */
  readonly address: string;
  /** Only peers in the namespace subnet are answered (a replica of another namespace can reach this address through its own gateway). */
  readonly subnet: string;
  /** A cluster namespace's node addresses: its tasks' queries arrive NATed there, and are answered too. */
  readonly peers?: readonly string[];
  readonly port?: number;
  /** `peer`: the asking replica's address (NetworkPolicies decide which other namespaces' names it sees). */
  readonly answer: (name: string, type: string, peer: string) => DnsAnswer;
  readonly upstreams: readonly string[];
  readonly logger: Logger;
}

/**
 * The namespace DNS (UDP and TCP) the data plane runs on a namespace's gateway address.
 * Docker's embedded resolver (127.0.0.11 in every replica) answers container names and
 * Deployment aliases itself and forwards every other name here, from the replica's own
 * address. Names of berth's zone are answered from the table (dns-names.ts); the rest is
 * relayed to the host's resolvers, SERVFAIL after UPSTREAM_TIMEOUT_MS. Never throws on input:
 * an undecodable packet is dropped.
 */
export class ClusterDns {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly subnet: Cidr | undefined;
  private peers: ReadonlySet<string>;
  /** Addresses whose unanswered queries were logged (unanswered()). */
  private readonly loggedUnanswered = new Set<string>();

  constructor(private readonly o: ClusterDnsOptions) {
    this.subnet = parseCidr(o.subnet);
    this.peers = new Set(o.peers ?? []);
  }

  /** A cluster's node addresses now (its nodes changed): answered from the next query on. */
  setPeers(peers: readonly string[]): void {
    this.peers = new Set(peers);
  }

  /** Binds UDP and TCP; resolves with the bind error's message instead of throwing. */
  async start(): Promise<string | undefined> {
    const port = this.o.port ?? 53;
    const udp = dgram.createSocket({ type: 'udp4' });
    const udpError = await new Promise<string | undefined>((resolve) => {
      udp.once('error', (err) => resolve(err.message));
      udp.bind({ address: this.o.address, port, exclusive: true }, () => resolve(undefined));
    });
    if (udpError) {
      udp.close();
      return udpError;
    }
    udp.on('error', (err) => this.o.logger.warn({ err: err.message }, 'namespace DNS (udp) error'));
    udp.on('message', (msg, peer) => {
      if (!this.isPeer(peer.address)) return this.unanswered(peer.address);
      void this.handle(msg, peer.address).then((reply) => reply && udp.send(reply, peer.port, peer.address));
    });
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    const tcpError = await new Promise<string | undefined>((resolve) => {
      tcp.once('error', (err) => resolve(err.message));
      tcp.listen({ host: this.o.address, port: (udp.address() as { port: number }).port }, () => resolve(undefined));
    });
    if (tcpError) this.o.logger.warn({ err: tcpError }, 'namespace DNS over TCP could not bind; UDP serves alone');
    else this.tcp = tcp;
    this.udp = udp;
    return undefined;
  }

  /** The UDP port bound (tests bind port 0). */
  port(): number | undefined {
    const a = this.udp?.address();
    return a ? a.port : undefined;
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }

  /**
   * A query from outside the namespace (and its cluster's nodes) gets no answer; each such
   * address is logged once (at most UNANSWERED_LOGGED of them), so a replica whose queries arrive
   * from an unexpected address (a node's NAT not applied) is seen in the log, not only timing out.
   */
  private unanswered(address: string): void {
    if (this.loggedUnanswered.has(address) || this.loggedUnanswered.size >= UNANSWERED_LOGGED) return;
    this.loggedUnanswered.add(address);
    this.o.logger.warn({ peer: address, peers: [...this.peers] }, 'namespace DNS: a query from outside the namespace is not answered');
  }

  private isPeer(address: string | undefined): boolean {
    const ip = ipv4OfPeer(address);
    if (ip === undefined) return false;
    // A cluster node's address: its tasks' queries arrive NATed there.
    if (this.peers.has(formatIpv4(ip))) return true;
    return this.subnet !== undefined && contains(this.subnet, ip);
  }

  private serveTcp(socket: net.Socket): void {
    socket.on('error', () => {});
    if (!this.isPeer(socket.remoteAddress)) {
      this.unanswered(socket.remoteAddress ?? '');
      return void socket.destroy();
    }
    socket.setTimeout(5_000, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        void this.handle(msg, socket.remoteAddress ?? '').then((reply) => {
          if (!reply || socket.destroyed) return;
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  }

  /** One query → its reply bytes (undefined: dropped). */
  private async handle(msg: Buffer, peer: string): Promise<Buffer | undefined> {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (query.type !== 'query' || !question) return undefined;
    const answer = this.o.answer(question.name, question.type, peer);
    if (answer.kind === 'forward') return this.forward(msg, query);
    const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
    return dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | rd | (answer.kind === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR),
      questions: [question],
      answers:
        answer.kind === 'addresses'
          ? answer.addresses.map((a) => ({ type: 'A' as const, name: question.name, ttl: answer.ttl, class: 'IN' as const, data: a }))
          : [],
    });
  }

  /** Relays the query to the first host resolver that answers in time; SERVFAIL otherwise. */
  private async forward(msg: Buffer, query: dnsPacket.DecodedPacket): Promise<Buffer> {
    for (const upstream of this.o.upstreams) {
      const reply = await askUpstream(msg, upstream, UPSTREAM_TIMEOUT_MS / Math.max(1, this.o.upstreams.length));
      if (reply) return reply;
    }
    return dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags: dnsPacket.RECURSION_AVAILABLE | RCODE.SERVFAIL, questions: query.questions ?? [] });
  }
}

function askUpstream(msg: Buffer, server: string, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('message', (reply) => done(reply));
    socket.send(msg, 53, server, (err) => err && done(undefined));
  });
}

/** The host's resolvers (`nameserver` lines of /etc/resolv.conf); none when unreadable. */
export function hostResolvers(path = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined && net.isIP(s) !== 0);
  } catch {
    return [];
  }
}
