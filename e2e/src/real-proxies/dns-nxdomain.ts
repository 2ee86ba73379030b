import { type Socket, createSocket } from 'node:dgram';

/**
 * A DNS server on 127.x.y.z:53 that answers every query "no such name" (NXDOMAIN), for
 * proxies that take a name server's address but not its port (Squid's `dns_nameservers`):
 * their look-ups of names the test did not map stay on this machine and fail at once.
 * Port 53 needs root; `start()` resolves undefined when it cannot bind (the proxy then uses
 * the system's resolver).
 */
export class NxdomainDns {
  readonly address: string;
  queries = 0;
  readonly #socket: Socket;

  private constructor(address: string, socket: Socket) {
    this.address = address;
    this.#socket = socket;
    socket.on('message', (query, peer) => {
      if (query.length < 12) return;
      this.queries++;
      const answer = Buffer.from(query);
      answer[2] = 0x80 | (query[2]! & 0x01); // QR, the query's RD bit
      answer[3] = 0x83; // RA, RCODE 3 (NXDOMAIN)
      answer.writeUInt16BE(0, 6); // no answers,
      answer.writeUInt16BE(0, 8); // no authority,
      answer.writeUInt16BE(0, 10); // no additional records: the question is echoed
      socket.send(answer, peer.port, peer.address);
    });
  }

  static async start(): Promise<NxdomainDns | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const address = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
      const socket = createSocket('udp4');
      const bound = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(53, address, () => resolve(true));
      });
      if (bound) return new NxdomainDns(address, socket);
      socket.close();
    }
    return undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
