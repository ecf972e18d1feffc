package dev.finetune.pipeline.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/** Spark values → plain Java: struct → Map, array → List, map → Map; scalars unchanged. */
final class RowConverter {
    private RowConverter() {}

    /** The first {@code columns.size()} fields of {@code row}, by name. */
    static Map<String, Object> record(Row row, List<String> columns) {
        Map<String, Object> m = new LinkedHashMap<>(columns.size() * 2);
        for (int i = 0; i < columns.size(); i++) {
            m.put(columns.get(i), java(row.get(i)));
        }
        return m;
    }

    static Object java(Object v) {
        if (v instanceof Row) {
            Row r = (Row) v;
            Map<String, Object> m = new LinkedHashMap<>();
            String[] names = r.schema().fieldNames();
            for (int i = 0; i < names.length; i++) {
                m.put(names[i], java(r.get(i)));
            }
            return m;
        }
        if (v instanceof Seq) {
            List<Object> l = new ArrayList<>();
            for (Object o : JavaConverters.seqAsJavaList((Seq<?>) v)) {
                l.add(java(o));
            }
            return l;
        }
        if (v instanceof scala.collection.Map) {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e :
                    JavaConverters.mapAsJavaMap((scala.collection.Map<?, ?>) v).entrySet()) {
                m.put(e.getKey(), java(e.getValue()));
            }
            return m;
        }
        return v;
    }
}
