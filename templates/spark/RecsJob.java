import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * flix's offline recommendations: implicit-feedback ALS (Spark MLlib, local mode) on viewing
 * history, blended with content similarity on genres. Users and titles arrive as dense ints (the
 * caller maps names), so this job knows nothing of the cluster.
 *
 * Usage: RecsJob DIR...  Each DIR holds
 *   train.tsv   user item weight   (one viewing, weight = how much of the title was watched)
 *   genres.tsv  item genre
 *   params.tsv  key value          (items, rank, iterations, alpha, reg, blend, k, seed)
 * and gets
 *   recs.tsv    user item,item,... (the k best unseen items, best first)
 *   similar.tsv item item,item,... (the k most similar items, for "because you watched")
 * Several DIRs share one Spark session: the JVM and Spark start once.
 */
public final class RecsJob {
  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: RecsJob DIR...");
      System.exit(2);
    }
    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName("flix-recs")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      for (String dir : args) run(spark, Path.of(dir));
    } finally {
      spark.stop();
    }
  }

  static void run(SparkSession spark, Path dir) throws IOException {
    long started = System.nanoTime();
    Map<String, String> params = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("params.tsv"), StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      if (f.length == 2) params.put(f[0], f[1]);
    }
    int items = Integer.parseInt(params.get("items"));
    int k = Integer.parseInt(params.getOrDefault("k", "10"));
    double blend = Double.parseDouble(params.getOrDefault("blend", "0.2"));

    List<Row> rows = new ArrayList<>();
    Map<Integer, Set<Integer>> seen = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("train.tsv"), StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      if (f.length != 3) continue;
      int u = Integer.parseInt(f[0]);
      int i = Integer.parseInt(f[1]);
      rows.add(RowFactory.create(u, i, Float.parseFloat(f[2])));
      seen.computeIfAbsent(u, x -> new HashSet<>()).add(i);
    }
    // genre vectors: item -> set of genre ids
    Map<String, Integer> genreIds = new HashMap<>();
    List<Set<Integer>> genres = new ArrayList<>();
    for (int i = 0; i < items; i++) genres.add(new HashSet<>());
    for (String line : Files.readAllLines(dir.resolve("genres.tsv"), StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      if (f.length != 2) continue;
      int i = Integer.parseInt(f[0]);
      if (i >= 0 && i < items) genres.get(i).add(genreIds.computeIfAbsent(f[1], g -> genreIds.size()));
    }

    StructType schema = new StructType()
        .add("user", DataTypes.IntegerType)
        .add("item", DataTypes.IntegerType)
        .add("weight", DataTypes.FloatType);
    Dataset<Row> views = spark.createDataFrame(rows, schema);
    ALSModel model = new ALS()
        .setImplicitPrefs(true)
        .setRank(Integer.parseInt(params.getOrDefault("rank", "10")))
        .setMaxIter(Integer.parseInt(params.getOrDefault("iterations", "10")))
        .setRegParam(Double.parseDouble(params.getOrDefault("reg", "0.1")))
        .setAlpha(Double.parseDouble(params.getOrDefault("alpha", "20")))
        .setSeed(Long.parseLong(params.getOrDefault("seed", "1")))
        // few blocks: on one machine the default 10×10 is mostly task overhead
        .setNumBlocks(Integer.parseInt(params.getOrDefault("blocks", "2")))
        .setUserCol("user")
        .setItemCol("item")
        .setRatingCol("weight")
        .fit(views);

    Map<Integer, float[]> userF = factors(model.userFactors());
    Map<Integer, float[]> itemF = factors(model.itemFactors());

    try (BufferedWriter out = Files.newBufferedWriter(dir.resolve("recs.tsv"), StandardCharsets.UTF_8)) {
      for (Map.Entry<Integer, float[]> e : userF.entrySet()) {
        int u = e.getKey();
        Set<Integer> mine = seen.getOrDefault(u, Set.of());
        double[] als = new double[items];
        double top = 1e-9;
        for (int i = 0; i < items; i++) {
          float[] f = itemF.get(i);
          als[i] = f == null ? 0 : dot(e.getValue(), f);
          if (!mine.contains(i)) top = Math.max(top, Math.abs(als[i]));
        }
        // the user's taste in genres: how often each genre is among what they watched
        Map<Integer, Double> profile = new HashMap<>();
        for (int i : mine) for (int g : genres.get(i)) profile.merge(g, 1.0, Double::sum);
        double norm = Math.sqrt(profile.values().stream().mapToDouble(x -> x * x).sum());
        double[] score = new double[items];
        for (int i = 0; i < items; i++) {
          double content = 0;
          if (norm > 0 && !genres.get(i).isEmpty()) {
            double s = 0;
            for (int g : genres.get(i)) s += profile.getOrDefault(g, 0.0);
            content = s / (norm * Math.sqrt(genres.get(i).size()));
          }
          score[i] = (1 - blend) * (als[i] / top) + blend * content;
        }
        out.write(u + "\t" + join(best(score, k, mine)) + "\n");
      }
    }

    try (BufferedWriter out = Files.newBufferedWriter(dir.resolve("similar.tsv"), StandardCharsets.UTF_8)) {
      for (int i = 0; i < items; i++) {
        float[] fi = itemF.get(i);
        double[] score = new double[items];
        for (int j = 0; j < items; j++) {
          if (j == i) continue;
          float[] fj = itemF.get(j);
          double cf = fi == null || fj == null ? 0 : cosine(fi, fj);
          score[j] = (1 - blend) * cf + blend * jaccard(genres.get(i), genres.get(j));
        }
        out.write(i + "\t" + join(best(score, k, Set.of(i))) + "\n");
      }
    }
    System.out.printf("trained %s: %d views, %d users, %d items in %.1f s%n",
        dir.getFileName(), rows.size(), userF.size(), items, (System.nanoTime() - started) / 1e9);
  }

  static Map<Integer, float[]> factors(Dataset<Row> df) {
    Map<Integer, float[]> m = new HashMap<>();
    for (Row r : df.collectAsList()) {
      List<Object> xs = r.getList(1);
      float[] f = new float[xs.size()];
      for (int j = 0; j < f.length; j++) f[j] = ((Number) xs.get(j)).floatValue();
      m.put(r.getInt(0), f);
    }
    return m;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) s += a[j] * b[j];
    return s;
  }

  static double cosine(float[] a, float[] b) {
    double n = Math.sqrt(dot(a, a) * dot(b, b));
    return n == 0 ? 0 : dot(a, b) / n;
  }

  static double jaccard(Set<Integer> a, Set<Integer> b) {
    if (a.isEmpty() || b.isEmpty()) return 0;
    int both = 0;
    for (int g : a) if (b.contains(g)) both++;
    return (double) both / (a.size() + b.size() - both);
  }

  /** The k highest scores not in skip, best first (ties by lower index, so runs repeat). */
  static int[] best(double[] score, int k, Set<Integer> skip) {
    Integer[] idx = new Integer[score.length];
    for (int i = 0; i < idx.length; i++) idx[i] = i;
    Arrays.sort(idx, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b));
    return Arrays.stream(idx).filter(i -> !skip.contains(i)).limit(k).mapToInt(Integer::intValue).toArray();
  }

  static String join(int[] xs) {
    StringBuilder b = new StringBuilder();
    for (int x : xs) b.append(b.length() == 0 ? "" : ",").append(x);
    return b.toString();
  }
}
