import { registerMapSchema, type RegisterEntry } from '../register-map.ts';
import { boosterPumpV1 } from './booster-pump-v1.ts';
import { drainagePumpV1 } from './drainage-pump-v1.ts';

/** A register map shipped with the project, named in a config as `profile: <name>`. */
export interface Profile {
  readonly name: ProfileName;
  readonly description: string;
  readonly registers: readonly RegisterEntry[];
}

/** An explicit registry (no folder scanning): a new profile is a file and a line here. */
const SOURCES = {
  'booster-pump-v1': boosterPumpV1,
  'drainage-pump-v1': drainagePumpV1,
} as const;

export type ProfileName = keyof typeof SOURCES;
export const PROFILE_NAMES = Object.keys(SOURCES) as [ProfileName, ...ProfileName[]];

const cache = new Map<ProfileName, Profile>();

/**
 * The profile, its map checked by the same schema as an inline map (a shipped profile that
 * overlaps would throw here, and its unit test says so).
 */
export function getProfile(name: ProfileName): Profile {
  let profile = cache.get(name);
  if (!profile) {
    const source = SOURCES[name];
    const registers = Object.freeze(registerMapSchema.parse(source.registers).map((e) => Object.freeze(e)));
    profile = Object.freeze({ name, description: source.description, registers });
    cache.set(name, profile);
  }
  return profile;
}

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(SOURCES, name);
}
