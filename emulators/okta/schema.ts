/**
 * The default user schema (`/api/v1/meta/schemas/user/default`): Okta's base profile properties
 * plus the custom ones an admin added. Real Okta refuses a profile property its schema lacks
 * (400 E0000001), which is why Gatehouse needs `npm run okta:setup`; the emulator does the same.
 */

export type AttributeType = 'string' | 'boolean' | 'number' | 'integer' | 'array';

export interface SchemaAttribute {
  title: string;
  type: AttributeType;
  description?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  items?: { type: AttributeType };
  [key: string]: unknown;
}

const text = (title: string, extra: Partial<SchemaAttribute> = {}): SchemaAttribute => ({ title, type: 'string', ...extra });

/** Okta's base user profile properties (UserSchemaBaseProperties in the SDK). */
export const BASE_PROPERTIES: Readonly<Record<string, SchemaAttribute>> = {
  login: text('Username', { required: true, minLength: 5, maxLength: 100 }),
  firstName: text('First name', { required: true, minLength: 1, maxLength: 50 }),
  lastName: text('Last name', { required: true, minLength: 1, maxLength: 50 }),
  middleName: text('Middle name'),
  honorificPrefix: text('Honorific prefix'),
  honorificSuffix: text('Honorific suffix'),
  email: text('Primary email', { required: true, format: 'email' }),
  title: text('Title'),
  displayName: text('Display name'),
  nickName: text('Nickname'),
  profileUrl: text('Profile Url', { format: 'uri' }),
  secondEmail: text('Secondary email', { format: 'email' }),
  mobilePhone: text('Mobile phone', { maxLength: 100 }),
  primaryPhone: text('Primary phone', { maxLength: 100 }),
  streetAddress: text('Street address'),
  city: text('City'),
  state: text('State'),
  zipCode: text('Zip code'),
  countryCode: text('Country code', { format: 'country-code' }),
  postalAddress: text('Postal Address'),
  preferredLanguage: text('Preferred language', { format: 'language-code' }),
  locale: text('Locale', { format: 'locale' }),
  timezone: text('Time zone', { format: 'timezone' }),
  userType: text('User type'),
  employeeNumber: text('Employee number'),
  costCenter: text('Cost center'),
  organization: text('Organization'),
  division: text('Division'),
  department: text('Department'),
  managerId: text('ManagerId'),
  manager: text('Manager'),
};

const BASE_REQUIRED = ['login', 'firstName', 'lastName', 'email'];
const ATTRIBUTE_TYPES = new Set<AttributeType>(['string', 'boolean', 'number', 'integer', 'array']);
/** Okta variable names: letters, digits and `_`, not starting with a digit. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SchemaValidationError extends Error {
  constructor(readonly causes: string[]) {
    super(causes.join('; '));
  }
}

function typeMatches(type: AttributeType, value: unknown, items?: { type: AttributeType }): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value) && (!items || value.every((item) => typeMatches(items.type, item)));
  }
}

/** The attribute type an existing value implies (seeded directories declare their own custom attributes). */
function inferredAttribute(name: string, value: unknown): SchemaAttribute {
  if (typeof value === 'boolean') return { title: name, type: 'boolean' };
  if (typeof value === 'number') return { title: name, type: Number.isInteger(value) ? 'integer' : 'number' };
  if (Array.isArray(value)) return { title: name, type: 'array', items: { type: 'string' } };
  return { title: name, type: 'string' };
}

export class UserSchema {
  readonly id = 'osc_default';
  readonly created = new Date().toISOString();
  lastUpdated = this.created;
  custom = new Map<string, SchemaAttribute>();

  reset(): void {
    this.custom.clear();
    this.lastUpdated = new Date().toISOString();
  }

  /** Declares the non-base properties a seeded profile uses, as the demo org's admin would have. */
  declareFromSeed(profile: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(profile)) {
      if (!(name in BASE_PROPERTIES) && !this.custom.has(name) && value !== null && value !== undefined) {
        this.custom.set(name, inferredAttribute(name, value));
      }
    }
  }

  /**
   * Problems with a profile, one Okta-style cause each (empty = valid). `partial` is a profile
   * update (POST /users/{id}): required properties may be absent because the stored ones stay.
   */
  validateProfile(profile: Record<string, unknown>, partial = false): string[] {
    const causes: string[] = [];
    for (const [name, value] of Object.entries(profile)) {
      const attribute = BASE_PROPERTIES[name] ?? this.custom.get(name);
      if (!attribute) {
        causes.push(`Property name '${name}' is not defined in profile`);
      } else if (value !== null && !typeMatches(attribute.type, value, attribute.items)) {
        causes.push(`${name}: Property '${name}' must be of type ${attribute.type === 'array' ? `array of ${attribute.items?.type ?? 'string'}` : attribute.type}`);
      }
    }
    if (!partial) {
      for (const name of BASE_REQUIRED) {
        if (typeof profile[name] !== 'string' || !profile[name]) causes.push(`${name}: The field cannot be left blank`);
      }
    }
    return causes;
  }

  /**
   * POST /api/v1/meta/schemas/user/default: a partial update of `definitions.custom.properties`.
   * A property set to null is removed (Okta's way to delete a custom attribute). Base properties
   * cannot be redefined here. Throws SchemaValidationError and changes nothing on a bad body.
   */
  update(body: unknown): void {
    const definitions = (body as { definitions?: { custom?: { properties?: unknown }; base?: { properties?: unknown } } } | null)?.definitions;
    const properties = definitions?.custom?.properties;
    const causes: string[] = [];
    if (properties === undefined && definitions?.base?.properties === undefined) {
      throw new SchemaValidationError(['definitions: expected definitions.custom.properties']);
    }
    if (properties !== undefined && (properties === null || typeof properties !== 'object' || Array.isArray(properties))) {
      throw new SchemaValidationError(['definitions.custom.properties: must be an object']);
    }
    const changes = new Map<string, SchemaAttribute | null>();
    for (const [name, raw] of Object.entries((properties ?? {}) as Record<string, unknown>)) {
      if (!VARIABLE_NAME.test(name)) {
        causes.push(`${name}: Variable name must start with a letter or an underscore and contain only letters, digits and underscores`);
        continue;
      }
      const clash = Object.keys(BASE_PROPERTIES).find((base) => base.toLowerCase() === name.toLowerCase());
      if (clash) {
        causes.push(`${name}: A custom property cannot have the name of the base property '${clash}'`);
        continue;
      }
      if (raw === null) {
        changes.set(name, null);
        continue;
      }
      const attribute = raw as Partial<SchemaAttribute> | undefined;
      const existing = this.custom.get(name);
      const type = attribute?.type ?? existing?.type;
      if (!type || !ATTRIBUTE_TYPES.has(type)) {
        causes.push(`${name}: type must be one of ${[...ATTRIBUTE_TYPES].join(', ')}`);
        continue;
      }
      const title = attribute?.title ?? existing?.title;
      if (typeof title !== 'string' || !title) {
        causes.push(`${name}: The field title cannot be left blank`);
        continue;
      }
      if (existing && existing.type !== type) {
        causes.push(`${name}: The type of an existing property cannot be changed`);
        continue;
      }
      changes.set(name, { ...existing, ...attribute, title, type, ...(type === 'array' ? { items: attribute?.items ?? existing?.items ?? { type: 'string' } } : {}) });
    }
    if (causes.length) throw new SchemaValidationError(causes);
    for (const [name, attribute] of changes) {
      if (attribute) this.custom.set(name, attribute);
      else this.custom.delete(name);
    }
    this.lastUpdated = new Date().toISOString();
  }

  /** The UserSchema resource as Okta shapes it. */
  toJson(base: string): Record<string, unknown> {
    const withDefaults = (attribute: SchemaAttribute) => ({
      mutability: 'READ_WRITE',
      scope: 'NONE',
      permissions: [{ principal: 'SELF', action: 'READ_WRITE' }],
      master: { type: 'PROFILE_MASTER' },
      ...attribute,
    });
    const map = (entries: Iterable<[string, SchemaAttribute]>) => Object.fromEntries([...entries].map(([name, attribute]) => [name, withDefaults(attribute)]));
    return {
      id: `${base}/meta/schemas/user/default`,
      $schema: 'http://json-schema.org/draft-04/schema#',
      name: 'user',
      title: 'User',
      description: 'Okta user profile template with default permission settings',
      lastUpdated: this.lastUpdated,
      created: this.created,
      definitions: {
        custom: { id: '#custom', type: 'object', properties: map(this.custom), required: [] },
        base: { id: '#base', type: 'object', properties: map(Object.entries(BASE_PROPERTIES)), required: BASE_REQUIRED },
      },
      type: 'object',
      properties: { profile: { allOf: [{ $ref: '#/definitions/custom' }, { $ref: '#/definitions/base' }] } },
      _links: { self: { href: `${base}/api/v1/meta/schemas/user/default`, method: 'GET' }, type: { href: `${base}/api/v1/meta/types/user/oty_default`, method: 'GET' } },
    };
  }
}
