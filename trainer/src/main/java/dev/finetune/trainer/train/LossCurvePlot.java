package dev.finetune.trainer.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The loss curve as a PNG, drawn with java.awt in headless mode (no display needed): training loss per
 * logged step in blue, evaluation loss in orange, axes with min/max labels.
 */
public final class LossCurvePlot {

    static final Color TRAIN = new Color(31, 119, 180);
    static final Color EVAL = new Color(255, 127, 14);
    private static final int W = 900;
    private static final int H = 500;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private LossCurvePlot() {}

    /** Draws {@code train} (and {@code eval}, possibly empty) as (step, loss) pairs and writes a PNG. */
    public static void write(List<double[]> train, List<double[]> eval, String title, OutputStream out)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
            for (List<double[]> series : List.of(train, eval)) {
                for (double[] p : series) {
                    if (Double.isFinite(p[1])) {
                        minX = Math.min(minX, p[0]);
                        maxX = Math.max(maxX, p[0]);
                        minY = Math.min(minY, p[1]);
                        maxY = Math.max(maxY, p[1]);
                    }
                }
            }
            if (minX > maxX) {
                minX = 0;
                maxX = 1;
                minY = 0;
                maxY = 1;
            }
            if (maxX == minX) {
                maxX = minX + 1;
            }
            if (maxY == minY) {
                maxY = minY + 1e-3;
            }
            g.setColor(Color.BLACK);
            g.drawLine(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM);
            g.drawLine(LEFT, TOP, LEFT, H - BOTTOM);
            drawSeries(g, train, TRAIN, minX, maxX, minY, maxY);
            drawSeries(g, eval, EVAL, minX, maxX, minY, maxY);
            try {
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
                g.drawString(title, LEFT, 24);
                g.drawString(String.format(Locale.ROOT, "%.3f", maxY), 5, TOP + 5);
                g.drawString(String.format(Locale.ROOT, "%.3f", minY), 5, H - BOTTOM);
                g.drawString(String.format(Locale.ROOT, "%d", (long) minX), LEFT, H - BOTTOM + 18);
                String last = String.format(Locale.ROOT, "step %d", (long) maxX);
                g.drawString(last, W - RIGHT - g.getFontMetrics().stringWidth(last), H - BOTTOM + 18);
                g.drawString("loss", 5, H / 2);
                g.setColor(TRAIN);
                g.drawString("train", W - RIGHT - 120, TOP - 10);
                g.setColor(EVAL);
                g.drawString("eval", W - RIGHT - 60, TOP - 10);
            } catch (LinkageError e) {
                // a Java runtime without its font libraries (minimal server images): the curves without labels
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("no PNG writer in this JRE (javax.imageio)");
        }
    }

    private static void drawSeries(
            Graphics2D g, List<double[]> points, Color color, double minX, double maxX, double minY, double maxY) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        int prevX = -1, prevY = -1;
        for (double[] p : points) {
            if (!Double.isFinite(p[1])) {
                prevX = -1;
                continue;
            }
            int x = LEFT + (int) Math.round((p[0] - minX) / (maxX - minX) * (W - LEFT - RIGHT));
            int y = H - BOTTOM - (int) Math.round((p[1] - minY) / (maxY - minY) * (H - TOP - BOTTOM));
            if (prevX >= 0) {
                g.drawLine(prevX, prevY, x, y);
            }
            g.fillOval(x - 2, y - 2, 5, 5);
            prevX = x;
            prevY = y;
        }
    }
}
