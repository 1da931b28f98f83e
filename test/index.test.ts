import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';
import * as tools from '../src/tools.ts';

describe('the public API', () => {
  it('exports exactly these names from repro (a change here is a change to the API)', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "ConfigNameError",
        "ConfigNotFoundError",
        "ConfigNotObjectError",
        "ConfigParseError",
        "ConfigUnreadableError",
        "ConfigValueError",
        "ERROR_CODES",
        "FolderLostError",
        "IndexDamagedError",
        "InputUnreadableError",
        "InputsEmptyError",
        "NotAResultError",
        "OverrideError",
        "ParamMissingError",
        "ParamTypeError",
        "Params",
        "PathOutsideRunError",
        "ProjectConfigError",
        "RECORDED_ENV",
        "RESERVED_KEYS",
        "RUN_FILES",
        "ReproError",
        "ResultExistsError",
        "ResultFileExistsError",
        "Run",
        "ScriptMissingError",
        "ScriptNotFoundError",
        "ScriptNotRunnableError",
        "ScriptOutsideProjectError",
        "SourceError",
        "UsageError",
        "applyOverrides",
        "canonicalJson",
        "configNameOf",
        "diffManifests",
        "fileSystemError",
        "findProject",
        "fingerprint",
        "formatCaret",
        "hashConfig",
        "isValidName",
        "loadConfig",
        "mergeConfig",
        "parseMetrics",
        "parseOverride",
        "parseRunArgs",
        "prepareRun",
        "readRunState",
        "resolveSources",
        "resultName",
        "runConfig",
        "startRun",
      ]
    `);
  });

  it('exports exactly these names from repro/tools', () => {
    expect(Object.keys(tools).sort()).toMatchInlineSnapshot(`
      [
        "BadInputsError",
        "ConfigExistsError",
        "FileStorage",
        "GraphError",
        "PgStore",
        "S3Storage",
        "VERIFY_IGNORED",
        "assertValid",
        "atticEntries",
        "averageLinkage",
        "cancelStages",
        "checkProject",
        "cloneConfig",
        "crossConfigs",
        "diffConfigs",
        "diffToCsv",
        "diffToJson",
        "distanceMatrix",
        "downstreamOf",
        "graphStatus",
        "higherIsBetter",
        "listRuns",
        "loadGraph",
        "loadSeries",
        "make",
        "moveToAttic",
        "openStorage",
        "orphanedUploads",
        "pullResult",
        "pushConfigs",
        "removeResults",
        "renderDiff",
        "renderHtml",
        "renderSvg",
        "renderTreeSvg",
        "renderTreeText",
        "restoreFromAttic",
        "restoreResults",
        "runWorker",
        "selectConfigs",
        "serveUi",
        "sortRuns",
        "submittedStages",
        "summarizeMetrics",
        "sweepConfigs",
        "topologicalOrder",
        "upstreamOf",
        "verifyResult",
      ]
    `);
  });

  it('keeps internal helpers (leading _) out', () => {
    expect([...Object.keys(api), ...Object.keys(tools)].filter((k) => k.startsWith('_'))).toEqual([]);
  });
});

describe('the built package', () => {
  it('dist/index.js and dist/tools.js export the same names as the sources', async () => {
    const built = await import('../dist/index.js' as string);
    const builtTools = await import('../dist/tools.js' as string);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
    expect(Object.keys(builtTools).sort()).toEqual(Object.keys(tools).sort());
  });
});
