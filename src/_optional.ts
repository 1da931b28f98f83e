import { ReproError } from './errors.ts';

/**
 * Loads an optional peer dependency (pg, @aws-sdk/client-s3): installed only by the users who
 * need it. When it is absent, the error names the install command instead of a module trace.
 */
export async function importOptional<T>(name: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(error).includes(name)) {
      throw new ReproError(
        'REPRO_MISSING_DEPENDENCY',
        `${purpose} needs the package ${name}, which is not installed`,
        `Install it next to repro: npm install ${name}`,
      );
    }
    throw error;
  }
}
