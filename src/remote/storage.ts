import { basename, dirname, fs, join, relative } from '../_builtins.ts';
import { importOptional } from '../_optional.ts';
import { hasher } from '../data/fingerprint.ts';
import { ReproError } from '../errors.ts';
import { isSafeRelative } from './store.ts';

/** A file of an uploaded result, with the BLAKE3 digest that pull checks. */
export interface StoredFile {
  path: string;
  size: number;
  hash: string;
}

/**
 * Shared storage for result folders. Keys are `/`-separated paths below the storage root.
 * Nothing is ever overwritten: `put` of an existing key fails.
 */
export interface Storage {
  readonly uri: string;
  /** Creates `key` from a local file, exclusively. */
  put(key: string, file: string): Promise<void>;
  /** Writes `key` into a local file. */
  get(key: string, file: string): Promise<void>;
  /** Every key below `prefix`. */
  list(prefix: string): Promise<string[]>;
}

export class StorageError extends ReproError {}

export class KeyExistsError extends StorageError {
  constructor(readonly key: string) {
    super(
      'REPRO_STORAGE_EXISTS',
      `${key} already exists in the storage; nothing is overwritten`,
      'This upload belongs to another attempt.',
    );
  }
}

/** A shared POSIX mount (NFS, Lustre, CephFS): `file:///path`. Files are created with O_EXCL. */
export class FileStorage implements Storage {
  readonly uri: string;
  readonly root: string;

  constructor(uri: string) {
    this.uri = uri;
    this.root = new URL(uri).pathname;
  }

  async put(key: string, file: string): Promise<void> {
    const target = join(this.root, key);
    await fs.promises.mkdir(dirname(target), { recursive: true });
    try {
      await fs.promises.copyFile(file, target, fs.constants.COPYFILE_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyExistsError(key);
      throw error;
    }
  }

  async get(key: string, file: string): Promise<void> {
    await fs.promises.copyFile(join(this.root, key), file, fs.constants.COPYFILE_EXCL);
  }

  async list(prefix: string): Promise<string[]> {
    const base = join(this.root, prefix);
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(relative(this.root, p));
      }
    };
    await walk(base);
    return out.sort();
  }
}

/** Files above this size go up in parts. */
const MULTIPART_BYTES = 64 << 20;
const PART_BYTES = 16 << 20;

/**
 * S3 and S3-compatible stores (AWS, MinIO, Ceph RGW): `s3://bucket/prefix`, through the official
 * AWS SDK. The endpoint of a non-AWS server comes from REPRO_S3_ENDPOINT (or AWS_ENDPOINT_URL),
 * and is then addressed path-style. Objects are created with `If-None-Match: *`, so an existing
 * key is never overwritten, also for multipart uploads (on the completion).
 */
export class S3Storage implements Storage {
  readonly uri: string;
  readonly bucket: string;
  readonly prefix: string;
  #client: import('@aws-sdk/client-s3').S3Client | undefined;

  constructor(uri: string) {
    this.uri = uri;
    const u = new URL(uri);
    this.bucket = u.hostname;
    this.prefix = u.pathname.replace(/^\/+/, '').replace(/\/*$/, '');
  }

  async #s3() {
    const sdk = await importOptional(
      '@aws-sdk/client-s3',
      's3:// storage',
      () => import('@aws-sdk/client-s3'),
    );
    if (!this.#client) {
      const endpoint = process.env.REPRO_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL;
      this.#client = new sdk.S3Client({
        region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      });
    }
    return { sdk, client: this.#client };
  }

  #key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, file: string): Promise<void> {
    const { sdk, client } = await this.#s3();
    const Key = this.#key(key);
    const size = (await fs.promises.stat(file)).size;
    try {
      if (size <= MULTIPART_BYTES) {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: await fs.promises.readFile(file),
            IfNoneMatch: '*',
          }),
        );
        return;
      }
      const { UploadId } = await client.send(
        new sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key }),
      );
      try {
        const parts: { ETag: string | undefined; PartNumber: number }[] = [];
        const fd = await fs.promises.open(file, 'r');
        try {
          const buffer = Buffer.allocUnsafe(PART_BYTES);
          for (let n = 1, offset = 0; offset < size; n++, offset += PART_BYTES) {
            const { bytesRead } = await fd.read(buffer, 0, PART_BYTES, offset);
            const r = await client.send(
              new sdk.UploadPartCommand({
                Bucket: this.bucket,
                Key,
                UploadId,
                PartNumber: n,
                Body: buffer.subarray(0, bytesRead),
              }),
            );
            parts.push({ ETag: r.ETag, PartNumber: n });
          }
        } finally {
          await fd.close();
        }
        await client.send(
          new sdk.CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key,
            UploadId,
            MultipartUpload: { Parts: parts },
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        await client
          .send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
          .catch(() => {});
        throw error;
      }
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || (error as Error).name === 'PreconditionFailed') throw new KeyExistsError(key);
      throw error;
    }
  }

  async get(key: string, file: string): Promise<void> {
    const { sdk, client } = await this.#s3();
    const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
    const { pipeline } = process.getBuiltinModule('node:stream/promises');
    await pipeline(r.Body as NodeJS.ReadableStream, fs.createWriteStream(file, { flags: 'wx' }));
  }

  async list(prefix: string): Promise<string[]> {
    const { sdk, client } = await this.#s3();
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.#key(prefix),
          ContinuationToken: token,
        }),
      );
      for (const o of r.Contents ?? [])
        if (o.Key) out.push(this.prefix ? o.Key.slice(this.prefix.length + 1) : o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }
}

/** The storage of a URI: `file:///path` or `s3://bucket/prefix`. */
export function openStorage(
  uri: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Storage {
  const value = uri ?? env.REPRO_STORAGE;
  if (!value) {
    throw new StorageError('REPRO_NO_STORAGE', 'no storage given');
  }
  if (value.startsWith('file://')) return new FileStorage(value);
  if (value.startsWith('s3://')) return new S3Storage(value);
  throw new StorageError('REPRO_BAD_STORAGE', `unknown storage "${value}"`);
}

/** Uploads every file below `dir` to `<prefix>/<path>`, exclusively, each with its digest. */
export async function uploadFolder(storage: Storage, dir: string, prefix: string): Promise<StoredFile[]> {
  const { hashFile } = await hasher();
  const files: StoredFile[] = [];
  const walk = (sub: string) => {
    for (const e of fs.readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else if (e.isFile()) {
        const size = fs.statSync(join(dir, rel)).size;
        files.push({ path: rel, size, hash: hashFile(join(dir, rel), size) });
      }
    }
  };
  walk('');
  for (const f of files) await storage.put(`${prefix}/${f.path}`, join(dir, f.path));
  return files;
}

/**
 * Downloads a result into `dir` (created exclusively): every file goes to a temporary folder
 * first and is checked against its digest, and only a complete, verified result is moved into
 * place. A damaged download leaves nothing behind, and while it goes on no listing can take the
 * half-downloaded folder for a result.
 */
export async function downloadFolder(
  storage: Storage,
  prefix: string,
  files: StoredFile[],
  dir: string,
): Promise<void> {
  const { hashFile } = await hasher();
  // paths come from a shared database: each must stay inside the folder it is written to
  const outside = files.find((f) => !isSafeRelative(f.path));
  if (outside || !isSafeRelative(prefix))
    throw new StorageError(
      'REPRO_STORE_BAD_ROW',
      `refused to write ${JSON.stringify(outside?.path ?? prefix)}: not a relative path inside the result`,
    );
  // beside the result, under a dot name: listings skip it, as they skip every dot entry of runs/
  const tmp = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    for (const f of files) {
      const local = join(tmp, f.path);
      fs.mkdirSync(dirname(local), { recursive: true });
      await storage.get(`${prefix}/${f.path}`, local);
      const hash = hashFile(local);
      if (hash !== f.hash) {
        throw new StorageError(
          'REPRO_STORAGE_CORRUPT',
          `${prefix}/${f.path} does not match its recorded digest (${hash.slice(0, 12)}… instead of ${f.hash.slice(0, 12)}…)`,
          'The stored copy is damaged; recompute the result (repro queue retry) or restore the storage.',
        );
      }
    }
    fs.renameSync(tmp, dir);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
