# Production image for the web and worker services in docker-compose.yml.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY . .
RUN pip install --no-cache-dir -c requirements.lock . \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system --home /app signpost && chown -R signpost /app
USER signpost
EXPOSE 8000
CMD ["gunicorn", "--pythonpath", "site", "--bind", "0.0.0.0:8000", "--workers", "3", "config.wsgi:application"]
