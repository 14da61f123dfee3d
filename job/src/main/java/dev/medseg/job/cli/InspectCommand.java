package dev.medseg.job.cli;

import dev.medseg.job.eval.CommandSpark;
import dev.medseg.job.tables.ResultTable;
import dev.medseg.job.tables.ResultTableException;
import dev.medseg.job.tables.ResultTables;
import dev.medseg.job.tables.Summaries;
import dev.medseg.job.tables.TextTable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Registers the result tables of one or more runs as Spark SQL views ({@code runs}, {@code train_rounds},
 * {@code case_metrics}, {@code predictions}: the union over the runs that have each; {@code run_id} tells runs
 * apart) and prints a query's result, or the summary tables when no query is given.
 */
@Command(name = "inspect", description = {
        "Run Spark SQL over the result tables of one or more runs.",
        "Views: runs, train_rounds, case_metrics, predictions (union over the runs given; run_id tells them apart).",
        "Without --sql or --table, prints the paper's summary tables from case_metrics."})
final class InspectCommand implements Callable<Integer> {
    @Option(names = {"--run", "--runs"}, required = true, arity = "1..*", paramLabel = "RUN_DIR",
            description = "A run's output directory; repeat for several runs.")
    List<Path> runs;
    @Option(names = "--sql", paramLabel = "QUERY", description = "A Spark SQL query over the views.")
    String sql;
    @Option(names = "--table", paramLabel = "NAME", description = "Print one view whole (SELECT * FROM NAME).")
    String table;
    @Option(names = "--format", defaultValue = "text", paramLabel = "FORMAT",
            description = "text, csv, json (JSON Lines) or markdown. Default ${DEFAULT-VALUE}.")
    String format;
    @Option(names = "--limit", defaultValue = "1000", paramLabel = "N", description = "Most rows printed. Default ${DEFAULT-VALUE}.")
    int limit;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        TextTable.Format fmt = format();
        if (sql != null && table != null) {
            throw new UserError("give --sql or --table, not both");
        }
        if (limit < 1) {
            throw new UserError("--limit must be >= 1, got " + limit);
        }
        // The original contract, `inspect --runs DIR... "SQL"`: a last value that is no directory but reads like a
        // query is the query.
        if (sql == null && table == null && runs.size() > 1) {
            String last = runs.get(runs.size() - 1).toString();
            if (!Files.isDirectory(runs.get(runs.size() - 1)) && last.trim().contains(" ")) {
                sql = last;
                runs = runs.subList(0, runs.size() - 1);
            }
        }
        List<String> dirs = new ArrayList<>();
        for (Path r : runs) {
            if (!Files.isDirectory(r)) {
                throw new UserError("--run " + r + ": not a directory");
            }
            dirs.add(r.toAbsolutePath().toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (CommandSpark session = CommandSpark.start("inspect")) {
            SparkSession spark = session.spark();
            Map<ResultTable, List<String>> views;
            try {
                views = ResultTables.registerViews(spark, dirs);
            } catch (ResultTableException e) {
                throw new UserError(e.getMessage(), e);
            }
            if (views.isEmpty()) {
                throw new UserError("no result table (runs, train_rounds, case_metrics, predictions) under " + dirs);
            }
            if (sql == null && table == null) {
                if (!views.containsKey(ResultTable.CASE_METRICS)) {
                    throw new UserError("no case_metrics table under " + dirs + " to summarise; views: "
                            + views.keySet().stream().map(ResultTable::dirName).toList() + "; give --sql or --table");
                }
                var summaries = Summaries.compute(spark.table(ResultTable.CASE_METRICS.dirName()));
                if (fmt == TextTable.Format.TEXT) {
                    Summaries.print(summaries, out);
                } else {
                    for (Summaries.Summary s : summaries) {
                        out.print(s.table().render(fmt));
                    }
                }
                out.flush();
                return 0;
            }
            String query = sql != null ? sql : "SELECT * FROM " + checkedTable();
            Dataset<Row> result;
            TextTable rows;
            try {
                result = spark.sql(query);
                rows = TextTable.collect(result.limit(limit + 1));
            } catch (Exception e) {
                if (e instanceof AnalysisException) {
                    throw new UserError("query failed: " + e.getMessage(), e);
                }
                throw e;
            }
            boolean more = rows.rows().size() > limit;
            if (more) {
                rows = new TextTable(rows.columns(), rows.rows().subList(0, limit));
            }
            out.print(rows.render(fmt));
            out.flush();
            if (more) {
                spec.commandLine().getErr().println("medseg inspect: only the first " + limit + " rows shown; raise --limit");
            }
            return 0;
        }
    }

    private String checkedTable() {
        try {
            return ResultTable.named(table).dirName();
        } catch (IllegalArgumentException e) {
            throw new UserError("--table: " + e.getMessage());
        }
    }

    private TextTable.Format format() {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "text" -> TextTable.Format.TEXT;
            case "csv" -> TextTable.Format.CSV;
            case "json" -> TextTable.Format.JSON;
            case "markdown", "md" -> TextTable.Format.MARKDOWN;
            default -> throw new UserError("--format must be text, csv, json or markdown, got '" + format + "'");
        };
    }
}
