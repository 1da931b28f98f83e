import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('the public API', () => {
  it('exports exactly these names (a change here is a change to the API)', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "BadInputsError",
        "ConfigExistsError",
        "ConfigNameError",
        "ConfigNotFoundError",
        "ConfigNotObjectError",
        "ConfigParseError",
        "ConfigUnreadableError",
        "FileStorage",
        "GraphError",
        "InputUnreadableError",
        "InputsEmptyError",
        "NotAResultError",
        "OverrideError",
        "ParamMissingError",
        "ParamTypeError",
        "Params",
        "PathOutsideRunError",
        "PgStore",
        "ProjectConfigError",
        "RECORDED_ENV",
        "RESERVED_KEYS",
        "RUN_FILES",
        "ReproError",
        "ResultExistsError",
        "ResultFileExistsError",
        "Run",
        "S3Storage",
        "ScriptMissingError",
        "ScriptNotFoundError",
        "ScriptNotRunnableError",
        "ScriptOutsideProjectError",
        "SourceError",
        "UsageError",
        "VERIFY_IGNORED",
        "applyOverrides",
        "assertValid",
        "canonicalJson",
        "checkProject",
        "cloneConfig",
        "configNameOf",
        "crossConfigs",
        "diffConfigs",
        "diffManifests",
        "diffToCsv",
        "diffToJson",
        "downstreamOf",
        "findProject",
        "fingerprint",
        "formatCaret",
        "graphStatus",
        "hashConfig",
        "higherIsBetter",
        "isValidName",
        "listRuns",
        "loadConfig",
        "loadGraph",
        "make",
        "mergeConfig",
        "openStorage",
        "orphanedUploads",
        "parseMetrics",
        "parseOverride",
        "parseRunArgs",
        "prepareRun",
        "pullResult",
        "pushConfigs",
        "readRunState",
        "renderDiff",
        "resolveSources",
        "resultName",
        "runConfig",
        "runWorker",
        "selectConfigs",
        "sortRuns",
        "startRun",
        "summarizeMetrics",
        "sweepConfigs",
        "topologicalOrder",
        "upstreamOf",
        "verifyResult",
      ]
    `);
  });

  it('keeps internal helpers (leading _) out', () => {
    expect(Object.keys(api).filter((k) => k.startsWith('_'))).toEqual([]);
  });
});

describe('the built package', () => {
  it('dist/index.js exports the same names as src/index.ts', async () => {
    const built = await import('../dist/index.js' as string);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });
});
