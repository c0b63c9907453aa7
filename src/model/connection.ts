/**
 * A connection (a SIP trunk) as every layer of trunkline sees it.
 *
 * Identity is `(domain, origMatchPattern)`, as on NetSapiens; `id` is a store-assigned integer that the
 * Wavix and Enswitch dialects expose as their numeric trunk / peer id. Live figures are not part of the
 * record a client writes: the edge keeps them (`ConnectionLive`) and the API joins them in on read.
 */
import type { ConnectionSettings } from './connection-fields.js';
import type { EnswitchPeerExtension } from './extensions/enswitch-peer.js';
import type { WavixTrunkExtension } from './extensions/wavix-trunk.js';

/** Domain `*` holds system-wide (carrier) connections that only Super User and Reseller keys manage. */
export const SYSTEM_DOMAIN = '*';

/** Which dialect created the record; informs defaults in the others' views, never access. */
export type OriginDialect = 'netsapiens' | 'wavix' | 'enswitch';

export interface ConnectionExtensions {
  wavix?: WavixTrunkExtension;
  enswitch?: EnswitchPeerExtension;
}

export interface Connection extends ConnectionSettings {
  readonly id: number;
  readonly domain: string;
  readonly origMatchPattern: string;
  readonly createdBy: OriginDialect;
  readonly createdAt: string; // ISO 8601
  readonly lastModified: string; // ISO 8601
  readonly ext: ConnectionExtensions;
}

/** What a create needs before the store assigns id and timestamps. */
export interface NewConnection extends ConnectionSettings {
  domain: string;
  origMatchPattern: string;
  createdBy: OriginDialect;
  ext: ConnectionExtensions;
}

/** State the server keeps per connection; never written by API clients. */
export interface ConnectionLive {
  activeOrig: number;
  activeTerm: number;
  origSinceStartup: number;
  termSinceStartup: number;
  maxThisMonth: number;
  maxLastMonth: number;
  /** Seconds of answered calls this month (Wavix `talk_time`). */
  talkTimeThisMonth: number;
  registeredAt: string | null;
  registrationExpiresAt: string | null;
}

export const EMPTY_LIVE: Readonly<ConnectionLive> = Object.freeze({
  activeOrig: 0,
  activeTerm: 0,
  origSinceStartup: 0,
  termSinceStartup: 0,
  maxThisMonth: 0,
  maxLastMonth: 0,
  talkTimeThisMonth: 0,
  registeredAt: null,
  registrationExpiresAt: null,
});

export interface ConnectionWithLive {
  connection: Connection;
  live: ConnectionLive;
}
