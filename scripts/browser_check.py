#!/usr/bin/env python3
"""Drives swiftnet serve's page in headless Chromium as a user would: open it, pick an image in the file input, wait
for the drawn result. Prints the objects the page lists as JSON and saves a screenshot.

    scripts/browser_check.py URL IMAGE SCREENSHOT.png

Needs Debian's chromium and chromium-driver and selenium from PyPI (make test installs them)."""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, image, screenshot = sys.argv[1:4]
options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1600"):
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: "detector" in d.find_element(By.ID, "model").text
                                    or "classifier" in d.find_element(By.ID, "model").text)
    driver.find_element(By.ID, "file").send_keys(image)
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body.dataset.done === 'true'"))
    objects = [{"name": li.get_attribute("data-name"), "confidence": float(li.get_attribute("data-confidence"))}
               for li in driver.find_elements(By.CSS_SELECTOR, "#objects li.object")]
    canvas = driver.execute_script(
        "const c = document.getElementById('canvas'); return [c.width, c.height];")
    status = driver.find_element(By.ID, "status").text
    driver.save_screenshot(screenshot)
    print(json.dumps({"objects": objects, "canvas": canvas, "status": status}))
finally:
    driver.quit()
