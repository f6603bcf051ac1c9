using System.Collections;
using System.Globalization;

namespace TTL.Training.Distributed;

/// <summary>
/// Where this process sits in a multi-process job, read the way torchrun and Slurm announce it.
/// torchrun's variables win (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
/// MASTER_PORT); otherwise, inside an `srun` step of several tasks, Slurm's (SLURM_PROCID,
/// SLURM_NTASKS, SLURM_LOCALID, SLURM_STEP_TASKS_PER_NODE), with MASTER_ADDR defaulting to the first
/// host of the step's node list and MASTER_PORT to 29500. Anything else is one process.
/// </summary>
public sealed record LaunchEnvironment(int Rank, int WorldSize, int LocalRank, int LocalWorldSize, string MasterAddr, int MasterPort, string Source)
{
    public const int DefaultPort = 29500;

    public static LaunchEnvironment Single { get; } = new(0, 1, 0, 1, "127.0.0.1", DefaultPort, "single process");

    public bool IsDistributed => WorldSize > 1;

    /// <summary>True when the master address is this machine's loopback (the local launcher, or a one-node job told so).</summary>
    public bool IsLoopback => MasterAddr is "localhost" || MasterAddr.StartsWith("127.", StringComparison.Ordinal) || MasterAddr == "::1";

    public static LaunchEnvironment FromProcess() => From(Environment.GetEnvironmentVariables());

    public static LaunchEnvironment From(IDictionary env)
    {
        string? Get(string k) => env.Contains(k) ? env[k] as string : null;
        if (Get("WORLD_SIZE") is string ws)
        {
            int world = Int("WORLD_SIZE", ws, 1);
            if (world == 1) return Single;
            int rank = Int("RANK", Get("RANK") ?? throw Missing("RANK", "WORLD_SIZE"), 0);
            int localRank = Get("LOCAL_RANK") is string lr ? Int("LOCAL_RANK", lr, 0) : rank;
            int localWorld = Get("LOCAL_WORLD_SIZE") is string lw ? Int("LOCAL_WORLD_SIZE", lw, 1) : world;
            string addr = Get("MASTER_ADDR") ?? throw Missing("MASTER_ADDR", "WORLD_SIZE");
            int port = Int("MASTER_PORT", Get("MASTER_PORT") ?? throw Missing("MASTER_PORT", "WORLD_SIZE"), 1);
            return Checked(new(rank, world, localRank, localWorld, addr, port, "launcher variables (RANK/WORLD_SIZE)"));
        }
        if (Get("SLURM_NTASKS") is string nt && Get("SLURM_PROCID") is string pid && Get("SLURM_STEP_ID") is not null)
        {
            int world = Int("SLURM_NTASKS", nt, 1);
            if (world == 1) return Single;
            int rank = Int("SLURM_PROCID", pid, 0);
            int localRank = Get("SLURM_LOCALID") is string lid ? Int("SLURM_LOCALID", lid, 0) : 0;
            int localWorld = TasksOnThisNode(Get("SLURM_STEP_TASKS_PER_NODE") ?? Get("SLURM_TASKS_PER_NODE"), Get("SLURM_NODEID"));
            string addr = Get("MASTER_ADDR") ?? SlurmNodeList.First(Get("SLURM_STEP_NODELIST") ?? Get("SLURM_JOB_NODELIST")
                ?? throw new LaunchException("Slurm step without SLURM_STEP_NODELIST or SLURM_JOB_NODELIST: set MASTER_ADDR"));
            int port = Get("MASTER_PORT") is string mp ? Int("MASTER_PORT", mp, 1) : DefaultPort;
            return Checked(new(rank, world, localRank, localWorld, addr, port, "Slurm (SLURM_PROCID/SLURM_NTASKS)"));
        }
        return Single;
    }

    private static LaunchEnvironment Checked(LaunchEnvironment e)
    {
        if (e.Rank >= e.WorldSize) throw new LaunchException($"rank {e.Rank} is not below the world size {e.WorldSize} ({e.Source})");
        if (e.LocalRank >= e.LocalWorldSize) throw new LaunchException($"local rank {e.LocalRank} is not below the local world size {e.LocalWorldSize} ({e.Source})");
        if (e.MasterPort > 65535) throw new LaunchException($"MASTER_PORT={e.MasterPort} is not a TCP port");
        return e;
    }

    /// <summary>Slurm's compressed tasks-per-node list ("2(x3),1") for node <paramref name="nodeId"/>.</summary>
    internal static int TasksOnThisNode(string? tasksPerNode, string? nodeId)
    {
        if (tasksPerNode is null) return 1;
        int node = nodeId is null ? 0 : Int("SLURM_NODEID", nodeId, 0);
        int seen = 0;
        foreach (var part in tasksPerNode.Split(','))
        {
            int x = part.IndexOf("(x", StringComparison.Ordinal);
            int tasks = Int("SLURM_STEP_TASKS_PER_NODE", x < 0 ? part : part[..x], 1);
            int repeat = x < 0 ? 1 : Int("SLURM_STEP_TASKS_PER_NODE", part[(x + 2)..].TrimEnd(')'), 1);
            if (node < seen + repeat) return tasks;
            seen += repeat;
        }
        throw new LaunchException($"SLURM_STEP_TASKS_PER_NODE={tasksPerNode} has no entry for node {node}");
    }

    private static int Int(string name, string value, int min)
    {
        if (int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min) return v;
        throw new LaunchException($"{name}={value} is not an integer >= {min}");
    }

    private static LaunchException Missing(string name, string because) => new($"{because} is set but {name} is not");
}
