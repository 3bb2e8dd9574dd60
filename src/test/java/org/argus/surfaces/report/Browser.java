package org.argus.surfaces.report;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Test fixture: one headless Debian Chromium driven through Debian's chromedriver (Selenium is
 * pointed at both binaries, so it downloads nothing), with the browser console captured. Installs
 * the two Debian packages with apt-get when they are missing and this process runs as root.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  final ChromeDriver driver;

  Browser() {
    provision();
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toString());
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,2400", "--hide-scrollbars");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString())).build();
    driver = new ChromeDriver(service, o);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
  }

  private static void provision() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
      return;
    }
    String hint = "the report tests need Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER
        + "): apt-get install chromium chromium-driver";
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException(hint);
    }
    try {
      Process p = new ProcessBuilder("apt-get", "install", "-y", "-q", "chromium", "chromium-driver")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (p.waitFor() != 0 || !Files.isExecutable(CHROMEDRIVER)) {
        throw new IllegalStateException("apt-get exited with " + p.exitValue() + "; " + hint);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage() + "; " + hint, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted; " + hint, e);
    }
  }

  /** Opens a page and returns the console messages logged since the last call (all levels). */
  List<LogEntry> open(Path page) {
    driver.get(page.toUri().toString());
    return console();
  }

  /** @return console entries since the last call */
  List<LogEntry> console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll();
  }

  /** @return the number of elements matching a CSS selector */
  int count(String css) {
    return driver.findElements(By.cssSelector(css)).size();
  }

  Object js(String script) {
    return ((JavascriptExecutor) driver).executeScript(script);
  }

  /** @return resource loads the page made (none for a self-contained page) */
  long requests() {
    return ((Number) js("return performance.getEntriesByType('resource').length")).longValue();
  }

  /** Saves a PNG of the viewport under {@code target/report-screenshots/}, and where {@code argus.screenshots} says. */
  Path screenshot(String name) throws IOException {
    byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
    Path dir = Path.of("target", "report-screenshots");
    Files.createDirectories(dir);
    Path f = dir.resolve(name + ".png");
    Files.write(f, png);
    String extra = System.getProperty("argus.screenshots");
    if (extra != null && !extra.isBlank()) {
      Files.createDirectories(Path.of(extra));
      Files.write(Path.of(extra).resolve("report-" + name + ".png"), png);
    }
    return f;
  }

  /** Makes the window as tall as the page (the next screenshot shows all of it), at most 6000 px. */
  void fitHeight() {
    long h = ((Number) js("return document.documentElement.scrollHeight")).longValue();
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, (int) Math.min(6000, h + 20)));
  }

  void resetSize() {
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 2400));
  }

  @Override
  public void close() {
    driver.quit();
  }
}
