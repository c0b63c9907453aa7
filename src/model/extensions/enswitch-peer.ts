/**
 * What an Enswitch peer (seed 004, `peers/*`) carries beyond the canonical connection.
 * Canonical equivalents: description -> description (the Enswitch `name` is kept here), destination -> address,
 * username/password -> authUsername/authPassword (credentials trunkline sends, so authenticateAsClient),
 * outmaximum -> maxCallsTerm (-1 = null). See docs/model.md.
 *
 * Types the SIP edge cannot carry (`context`, `dahdi`, `iax`, `zap`) are stored as given but are not
 * routable: the Enswitch dialect keeps their canonical `origEnabled`/`termEnabled` off and gives them an
 * orig match pattern that no SIP request can match (`ENSWITCH_SIP_TYPES` are the routable ones).
 */
export const ENSWITCH_SIP_TYPES = ['sip', 'pjsip'] as const;
export const ENSWITCH_PEER_TYPES = ['context', 'dahdi', 'iax', 'sip', 'pjsip', 'zap'] as const;
export type EnswitchPeerType = (typeof ENSWITCH_PEER_TYPES)[number];
export const ENSWITCH_DTMF_MODES = ['inband', 'info', 'rfc2833', 'rfc4733'] as const;
export type EnswitchDtmfMode = (typeof ENSWITCH_DTMF_MODES)[number];

export interface EnswitchPeerExtension {
  name: string;
  type: EnswitchPeerType;
  /**
   * `destination` may list several destinations (comma-separated); the first is the canonical `address`, the
   * rest are kept here in order. Absent = none.
   */
  extraDestinations?: string[];
  calledPrefix: string;
  calledStripHash: boolean;
  callerid: string;
  calleridUnknown: string;
  calleridWithheld: string;
  channelGroup: number;
  charge: boolean;
  codecs: string[];
  context: string;
  costs: boolean;
  currency: string;
  customer: number;
  dialplanCalled: string;
  dialplanCaller: string;
  dtmfmode: EnswitchDtmfMode;
  failPercent: number;
  planCustomer: number;
  proxy: string;
  sendAssertedIdentity: boolean;
  sendPrivacy: boolean;
  sendRpid: boolean;
  urlCosts: string;
}
