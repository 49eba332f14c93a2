/**
 * Which operating room a device is in, from configuration (IGTL_ROOM_MAP): entries
 * `<match>=<Location id>`, comma-separated, tried in order, where the match is a peer address
 * (`10.1.3.7`), a network (`10.1.3.0/24`) or a device-name prefix (`name:NAV-OR3`).
 *   IGTL_ROOM_MAP="10.1.3.0/24=or-3, name:US-OR2=or-2"
 */
import { BlockList, isIP } from 'node:net';

export class RoomMapError extends Error {}

type Rule = { location: string } & ({ peers: BlockList } | { prefix: string });

export class RoomMap {
  readonly #rules: Rule[];

  constructor(spec: string) {
    this.#rules = spec.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map(parseRule);
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The Location id of the device's operating room, or undefined when no entry matches. */
  roomOf(peerAddress: string, deviceName: string): string | undefined {
    const address = peerAddress.replace(/^::ffff:/, '');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    for (const rule of this.#rules) {
      if ('prefix' in rule ? deviceName.startsWith(rule.prefix) : isIP(address) !== 0 && rule.peers.check(address, family)) return rule.location;
    }
    return undefined;
  }
}

function parseRule(entry: string): Rule {
  const at = entry.lastIndexOf('=');
  const match = entry.slice(0, at).trim();
  const location = entry.slice(at + 1).trim().replace(/^Location\//, '');
  if (at <= 0 || !/^[A-Za-z0-9\-.]{1,64}$/.test(location)) throw new RoomMapError(`"${entry}" is not <address, network or name:prefix>=<Location id>`);
  if (match.startsWith('name:')) {
    const prefix = match.slice(5);
    if (prefix === '') throw new RoomMapError(`"${entry}": an empty device-name prefix would match every device`);
    return { location, prefix };
  }
  const [address = '', bits] = match.split('/');
  const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : undefined;
  if (!family) throw new RoomMapError(`"${entry}": ${match} is neither an address, a network nor name:<prefix>`);
  const peers = new BlockList();
  if (bits === undefined) peers.addAddress(address, family);
  else {
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) throw new RoomMapError(`"${entry}": /${bits} is not a prefix length`);
    peers.addSubnet(address, prefix, family);
  }
  return { location, peers };
}
