import { InvalidArgumentError } from 'commander';
import { CONSOLE_ROLES, createUser, disableUser, findUserByName, listUsers, setPasswordHash, setUserRole, type ConsoleRole } from '../../db/users.ts';
import { generatePassword, hashPassword, passwordProblem } from '../../console/passwords.ts';
import type { CliContext } from '../main.ts';
import { withDb } from '../with-db.ts';

/**
 * `docroute users …`: review-console accounts, managed by an admin at the
 * command line. A new account's password is either read from stdin
 * (--password-stdin) or generated and printed once; only its scrypt hash is
 * stored, and the reviewer may set their own at sign-in.
 */

export function parseRole(text: string): ConsoleRole {
  if (!(CONSOLE_ROLES as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`unknown role "${text}"; roles are ${CONSOLE_ROLES.join(', ')}`);
  }
  return text as ConsoleRole;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function passwordFromOptions(opts: { passwordStdin?: boolean }): Promise<{ password: string; generated: boolean }> {
  if (!opts.passwordStdin) return { password: generatePassword(), generated: true };
  const password = await readStdin();
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  return { password, generated: false };
}

export async function usersCreateCommand(ctx: CliContext, opts: { name: string; role: ConsoleRole; passwordStdin?: boolean }): Promise<void> {
  const name = opts.name.trim();
  if (!/^[\p{L}\p{N}._@-]{1,100}$/u.test(name)) throw new Error('--name: 1–100 letters, digits or . _ @ -');
  const { password, generated } = await passwordFromOptions(opts);
  const hash = await hashPassword(password);
  await withDb(ctx, async (db) => {
    if (await findUserByName(db, name)) throw new Error(`there is already an account named "${name}"`);
    await createUser(db, { name, role: opts.role, passwordHash: hash });
  });
  process.stdout.write(`Created ${opts.role} "${name}".\n`);
  if (generated) {
    process.stdout.write(
      `Initial password (shown only this once; the reviewer can set their own when signing in):\n\n  ${password}\n\n`,
    );
  }
}

export async function usersListCommand(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const users = await withDb(ctx, listUsers);
  const rows = users.map((u) => ({
    name: u.name,
    role: u.role,
    status: u.disabled_at ? 'disabled' : u.locked_until && u.locked_until > new Date() ? 'locked' : 'active',
    createdAt: u.created_at.toISOString(),
    lastSignInAt: u.last_sign_in_at?.toISOString() ?? null,
  }));
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  if (rows.length === 0) process.stdout.write('No accounts. Create one: docroute users create --name <name> --role reviewer\n');
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(24)} ${r.role.padEnd(9)} ${r.status.padEnd(9)} created ${r.createdAt.slice(0, 16)}  last sign-in ${r.lastSignInAt?.slice(0, 16) ?? 'never'}\n`);
  }
}

export async function usersSetRoleCommand(ctx: CliContext, name: string, role: ConsoleRole): Promise<void> {
  if (!(await withDb(ctx, (db) => setUserRole(db, name, role)))) throw new Error(`no account named "${name}"`);
  process.stdout.write(`"${name}" is now ${role}.\n`);
}

export async function usersResetPasswordCommand(ctx: CliContext, name: string, opts: { passwordStdin?: boolean }): Promise<void> {
  const { password, generated } = await passwordFromOptions(opts);
  const hash = await hashPassword(password);
  await withDb(ctx, async (db) => {
    const user = await findUserByName(db, name);
    if (!user) throw new Error(`no account named "${name}"`);
    await setPasswordHash(db, user.id, hash);
  });
  process.stdout.write(`Password of "${name}" reset; the lockout is cleared.\n`);
  if (generated) process.stdout.write(`New password (shown only this once):\n\n  ${password}\n\n`);
}

export async function usersDisableCommand(ctx: CliContext, name: string): Promise<void> {
  if (!(await withDb(ctx, (db) => disableUser(db, name)))) throw new Error(`no account named "${name}"`);
  process.stdout.write(`"${name}" is disabled; their sessions and claims are ended.\n`);
}
