using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OnnxKit.Training.Tuning;

/// <summary>
/// A study in one SQLite file (schema in docs/tune.md). Every change runs in a <c>BEGIN IMMEDIATE</c> transaction,
/// which takes the file's write lock before reading, so two processes claiming at once get distinct trial numbers
/// and a queued trial goes to exactly one of them; waits for the lock are retried by the provider up to the
/// command timeout. One connection per store, used under a lock by the workers of this process.
/// </summary>
public sealed class SqliteStudyStore : IStudyStore
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();
    private long _studyId = -1;

    /// <summary>The study file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating when absent) the database file at <paramref name="path"/>.</summary>
    public SqliteStudyStore(string path)
    {
        Path = path;
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        // No pooling: the file is closed when the store is disposed (a finished study can be moved or deleted).
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 120 }.ToString());
        try
        {
            _db.Open();
            // WAL lets readers (a second process's wait loop, a leaderboard) proceed while one process writes.
            Execute("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;");
            InTransaction(tx =>
            {
                long version = (long)Scalar("PRAGMA user_version", tx)!;
                if (version > SchemaVersion) throw new InvalidDataException($"study file '{path}' has schema version {version}; this onnxkit reads up to {SchemaVersion}");
                Execute("""
                    CREATE TABLE IF NOT EXISTS studies(study_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, configuration TEXT NOT NULL, created TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS trials(study_id INTEGER NOT NULL REFERENCES studies(study_id), number INTEGER NOT NULL,
                        state TEXT NOT NULL, params TEXT, value REAL, epochs INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0,
                        owner TEXT NOT NULL, heartbeat REAL NOT NULL, started TEXT NOT NULL, finished TEXT, message TEXT,
                        PRIMARY KEY(study_id, number));
                    CREATE TABLE IF NOT EXISTS trial_values(study_id INTEGER NOT NULL, number INTEGER NOT NULL, epoch INTEGER NOT NULL, value REAL NOT NULL,
                        PRIMARY KEY(study_id, number, epoch));
                    PRAGMA user_version = 1;
                    """, tx);
            });
        }
        catch (SqliteException e)
        {
            _db.Dispose();
            throw new InvalidDataException($"study file '{path}' cannot be used as a SQLite study: {e.Message}");
        }
    }

    /// <inheritdoc/>
    public void Open(string name, string configuration) => InTransaction(tx =>
    {
        using var q = Command("SELECT study_id, configuration FROM studies WHERE name = $n", tx, ("$n", name));
        using (var r = q.ExecuteReader())
            if (r.Read())
            {
                if (r.GetString(1) != configuration)
                    throw new InvalidOperationException($"study '{name}' in '{Path}' was created for another search (space, model, data, epochs or seed differ); " +
                        "resume it with the same options, or give another --study file or --study-name");
                _studyId = r.GetInt64(0);
                return;
            }
        _studyId = (long)Scalar("INSERT INTO studies(name, configuration, created) VALUES($n, $c, $t) RETURNING study_id", tx,
            ("$n", name), ("$c", configuration), ("$t", DateTime.UtcNow.ToString("O")))!;
    });

    /// <inheritdoc/>
    public TrialRecord? Claim(string owner, int? maxTrials) => InTransaction(tx =>
    {
        double now = Now();
        var waiting = Scalar("SELECT number FROM trials WHERE study_id = $s AND state = 'WAITING' ORDER BY number LIMIT 1", tx, ("$s", _studyId));
        int number;
        if (waiting is long w)
        {
            number = (int)w;
            Execute("UPDATE trials SET state = 'RUNNING', owner = $o, heartbeat = $h, started = $t WHERE study_id = $s AND number = $k; " +
                "DELETE FROM trial_values WHERE study_id = $s AND number = $k", tx,
                ("$o", owner), ("$h", now), ("$t", DateTime.UtcNow.ToString("O")), ("$s", _studyId), ("$k", number));
        }
        else
        {
            long count = (long)Scalar("SELECT COUNT(*) FROM trials WHERE study_id = $s", tx, ("$s", _studyId))!;
            if (maxTrials is int max && count >= max) return null;
            number = (int)(long)Scalar("SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = $s", tx, ("$s", _studyId))!;
            Execute("INSERT INTO trials(study_id, number, state, owner, heartbeat, started) VALUES($s, $k, 'RUNNING', $o, $h, $t)", tx,
                ("$s", _studyId), ("$k", number), ("$o", owner), ("$h", now), ("$t", DateTime.UtcNow.ToString("O")));
        }
        return Read(tx, number);
    });

    /// <inheritdoc/>
    public void SetParameters(int number, IReadOnlyDictionary<string, object> parameters) => InTransaction(tx =>
        Execute("UPDATE trials SET params = $p WHERE study_id = $s AND number = $k", tx,
            ("$p", JsonSerializer.Serialize(parameters)), ("$s", _studyId), ("$k", number)));

    /// <inheritdoc/>
    public void Report(int number, int epoch, double value) => InTransaction(tx =>
        Execute("INSERT OR REPLACE INTO trial_values(study_id, number, epoch, value) VALUES($s, $k, $e, $v); " +
            "UPDATE trials SET epochs = $e, heartbeat = $h WHERE study_id = $s AND number = $k", tx,
            ("$s", _studyId), ("$k", number), ("$e", epoch), ("$v", value), ("$h", Now())));

    /// <inheritdoc/>
    public void Finish(int number, TrialState state, double? value, int epochs, double seconds, string? message) => InTransaction(tx =>
        Execute("UPDATE trials SET state = $st, value = $v, epochs = $e, seconds = $sec, finished = $t, message = $m WHERE study_id = $s AND number = $k", tx,
            ("$st", Name(state)), ("$v", value is double d && double.IsFinite(d) ? d : DBNull.Value), ("$e", epochs), ("$sec", seconds),
            ("$t", DateTime.UtcNow.ToString("O")), ("$m", (object?)message ?? DBNull.Value), ("$s", _studyId), ("$k", number)));

    /// <inheritdoc/>
    public void Heartbeat(IEnumerable<int> numbers)
    {
        var list = numbers.ToList();
        if (list.Count == 0) return;
        InTransaction(tx =>
        {
            foreach (int k in list)
                Execute("UPDATE trials SET heartbeat = $h WHERE study_id = $s AND number = $k AND state = 'RUNNING'", tx, ("$h", Now()), ("$s", _studyId), ("$k", k));
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> RequeueAbandoned(TimeSpan silence) => InTransaction(tx =>
    {
        var gone = new List<int>();
        using (var q = Command("SELECT number, owner, heartbeat FROM trials WHERE study_id = $s AND state = 'RUNNING'", tx, ("$s", _studyId)))
        using (var r = q.ExecuteReader())
            while (r.Read())
                if (Now() - r.GetDouble(2) > silence.TotalSeconds || OwnerIsDead(r.GetString(1))) gone.Add(r.GetInt32(0));
        foreach (int k in gone)
            Execute("UPDATE trials SET state = 'WAITING', message = 'its process stopped; queued again' WHERE study_id = $s AND number = $k", tx, ("$s", _studyId), ("$k", k));
        return (IReadOnlyList<int>)gone;
    });

    /// <inheritdoc/>
    public IReadOnlyList<TrialRecord> Trials() => InTransaction(tx =>
    {
        var numbers = new List<int>();
        using (var q = Command("SELECT number FROM trials WHERE study_id = $s ORDER BY number", tx, ("$s", _studyId)))
        using (var r = q.ExecuteReader())
            while (r.Read()) numbers.Add(r.GetInt32(0));
        return (IReadOnlyList<TrialRecord>)numbers.Select(k => Read(tx, k)).ToList();
    }, deferred: true);

    /// <summary>The owner string of a worker of this process: host, process id and worker index.</summary>
    public static string OwnerOf(int worker) => $"{Environment.MachineName}:{Environment.ProcessId}:{worker}";

    // A process on this host that no longer exists. An id reused by another program reads as alive; the heartbeat's
    // silence catches that case.
    private static bool OwnerIsDead(string owner)
    {
        var parts = owner.Split(':');
        if (parts.Length < 2 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out int pid)) return false;
        if (pid == Environment.ProcessId) return false;
        try { using var p = Process.GetProcessById(pid); return p.HasExited; }
        catch (ArgumentException) { return true; }
    }

    private TrialRecord Read(SqliteTransaction tx, int number)
    {
        var values = new Dictionary<int, double>();
        using (var q = Command("SELECT epoch, value FROM trial_values WHERE study_id = $s AND number = $k ORDER BY epoch", tx, ("$s", _studyId), ("$k", number)))
        using (var r = q.ExecuteReader())
            while (r.Read()) values[r.GetInt32(0)] = r.GetDouble(1);
        using var c = Command("SELECT state, params, value, epochs, seconds, owner, message FROM trials WHERE study_id = $s AND number = $k", tx, ("$s", _studyId), ("$k", number));
        using var row = c.ExecuteReader();
        if (!row.Read()) throw new InvalidOperationException($"trial {number} is not in study file '{Path}'");
        return new TrialRecord(number, Parse(row.GetString(0)), row.IsDBNull(1) ? null : ParametersFromJson(row.GetString(1)),
            row.IsDBNull(2) ? null : row.GetDouble(2), values, row.GetInt32(3), row.GetDouble(4), row.GetString(5), row.IsDBNull(6) ? null : row.GetString(6));
    }

    /// <summary>Trial values from their stored JSON: numbers as doubles, text as strings.</summary>
    public static Dictionary<string, object> ParametersFromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
            p => p.Value.ValueKind == JsonValueKind.Number ? (object)p.Value.GetDouble() : p.Value.GetString() ?? "");
    }

    private static string Name(TrialState s) => s.ToString().ToUpperInvariant();
    private static TrialState Parse(string s) => Enum.Parse<TrialState>(s, ignoreCase: true);
    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private T InTransaction<T>(Func<SqliteTransaction, T> body, bool deferred = false)
    {
        lock (_lock)
        {
            // Microsoft.Data.Sqlite begins IMMEDIATE unless asked for a deferred (read) transaction.
            using var tx = _db.BeginTransaction(deferred);
            var result = body(tx);
            tx.Commit();
            return result;
        }
    }

    private void InTransaction(Action<SqliteTransaction> body) => InTransaction(tx => { body(tx); return 0; });

    private SqliteCommand Command(string sql, SqliteTransaction? tx, params (string Name, object Value)[] args)
    {
        var c = _db.CreateCommand();
        c.CommandText = sql;
        c.Transaction = tx;
        foreach (var (n, v) in args) c.Parameters.AddWithValue(n, v);
        return c;
    }

    private void Execute(string sql, SqliteTransaction? tx = null, params (string, object)[] args) { using var c = Command(sql, tx, args); c.ExecuteNonQuery(); }
    private object? Scalar(string sql, SqliteTransaction? tx, params (string, object)[] args) { using var c = Command(sql, tx, args); return c.ExecuteScalar(); }

    /// <inheritdoc/>
    public void Dispose() { lock (_lock) _db.Dispose(); }
}
