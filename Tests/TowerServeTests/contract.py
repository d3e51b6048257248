"""Checks a running `tower serve` against docs/openapi.yaml and drives it with Algolia's official client.

Run by ContractTests (swift test) with the venv deploy/local.sh installs:
    python contract.py --base http://127.0.0.1:PORT --key KEY --spec docs/openapi.yaml
Exit status 0 when every check passed; each failure is printed.
"""
import argparse
import copy
import json
import sys
import urllib.error
import urllib.request

import jsonschema
import yaml
from openapi_spec_validator import validate

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def resolve(node, root):
    """The schema with every local $ref inlined (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(target, root)
        return {k: resolve(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, root) for v in node]
    return node


def call(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"x-algolia-api-key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def check_response(spec, path, method, status, content_type, raw):
    responses = spec["paths"][path][method]["responses"]
    check(str(status) in responses, f"{method.upper()} {path}: status {status} is not documented")
    if str(status) not in responses:
        return
    content = responses[str(status)].get("content", {})
    if content_type.startswith("application/json"):
        schema = content.get("application/json", {}).get("schema")
        check(schema is not None, f"{method.upper()} {path} {status}: JSON answer without a documented schema")
        if schema is not None:
            try:
                jsonschema.validate(json.loads(raw), schema, cls=jsonschema.Draft202012Validator)
            except jsonschema.ValidationError as error:
                check(False, f"{method.upper()} {path} {status}: {error.message}")
    else:
        check("text/plain" in content, f"{method.upper()} {path} {status}: undocumented content type {content_type}")


SAMPLES = {"customer": "1", "product": "1", "attribute": "category", "indexName": "*"}
QUERIES = {  # besides the bare call, one bad call per route that takes parameters
    "/v1/customers/{customer}/feed": ["?per_page=5&page=2&total=true&sort=price_asc&category=Garden", "?per_page=0"],
    "/v1/customers/{customer}/recently-viewed": ["?limit=5", "?limit=abc"],
    "/v1/products/{product}/similar": ["?limit=3&color=green", "?max_price=x"],
    "/v1/products/{product}/related": ["?limit=3", "?limit=0"],
    "/v1/products/{product}/bought-together": ["?limit=3", "?min_price=5&max_price=1"],
    "/v1/trending": ["?category=Garden", "?limit=101"],
    "/v1/trending/facets/{attribute}": ["?limit=2"],
}
RECOMMEND_BODIES = [
    {"requests": [{"indexName": "products", "model": "trending-items", "threshold": 0}]},
    {"requests": [{"indexName": "products", "model": "nope"}]},
]


def check_spec_routes(base, key, spec):
    for path, operations in spec["paths"].items():
        concrete = path
        for name, value in SAMPLES.items():
            concrete = concrete.replace("{" + name + "}", value)
        for method in operations:
            if method == "post":
                for body in RECOMMEND_BODIES:
                    check_response(spec, path, method, *call(base, key, "POST", concrete, body))
            else:
                for query in [""] + QUERIES.get(path, []):
                    check_response(spec, path, method, *call(base, key, "GET", concrete + query))
    status, content_type, raw = call(base, key, "GET", "/v1/products/999999")
    check(status == 404, "unknown product answers 404")
    check_response(spec, "/v1/products/{product}", "get", status, content_type, raw)
    status, _, _ = call(base, "wrong-key", "GET", "/v1/products/1")
    check(status == 403, f"a wrong key answers 403, got {status}")


def check_algolia_client(base, key):
    from algoliasearch.http.hosts import Host, HostsCollection
    from algoliasearch.recommend.client import RecommendClientSync
    from algoliasearch.recommend.config import RecommendConfig
    from algoliasearch.recommend.models.get_recommendations_response import GetRecommendationsResponse

    host, port = base.split("://")[1].split(":")
    config = RecommendConfig("tower", key)
    config.hosts = HostsCollection([Host(url=host, scheme="http", port=int(port))])
    client = RecommendClientSync.create_with_config(config)
    requests = {
        "related-products": {"model": "related-products", "objectID": "1", "threshold": 0},
        "bought-together": {"model": "bought-together", "objectID": "1", "threshold": 0},
        "looking-similar": {"model": "looking-similar", "objectID": "1", "threshold": 0, "maxRecommendations": 5,
                            "queryParameters": {"facetFilters": ["categories:Garden"]}},
        "trending-items": {"model": "trending-items", "threshold": 0, "facetName": "categories", "facetValue": "Outdoor"},
        "trending-facets": {"model": "trending-facets", "facetName": "categories", "threshold": 0},
    }
    for model, request in requests.items():
        response = client.get_recommendations(get_recommendations_params={"requests": [dict(request, indexName="products")]})
        hits = response.results[0].hits
        check(len(hits) > 0, f"algoliasearch {model}: no hits")
        first = hits[0].actual_instance if hasattr(hits[0], "actual_instance") else hits[0]
        if model == "trending-facets":
            check(first.facet_name == "categories" and first.facet_value, f"algoliasearch {model}: facet hit {first}")
        else:
            check(first.object_id.isdigit() and 0 <= first.score <= 100, f"algoliasearch {model}: hit {first}")
            print(f"ok: algoliasearch {model}: {len(hits)} hits, first {first.object_id} score {first.score}")
    # recommended-for-you is not in the v4 client's typed models: send it through the client's custom_post
    # and parse the answer with the client's own response model.
    raw = client.custom_post("1/indexes/*/recommendations", body={"requests": [
        {"indexName": "products", "model": "recommended-for-you", "threshold": 0, "queryParameters": {"userToken": "1"}}]})
    body = raw if isinstance(raw, dict) else json.loads(raw.raw_data if hasattr(raw, "raw_data") else raw)
    response = GetRecommendationsResponse.from_dict(body)
    hits = response.results[0].hits
    check(len(hits) > 0 and hits[0].actual_instance.object_id == "1", "algoliasearch recommended-for-you: product 1 first")
    print(f"ok: algoliasearch recommended-for-you: {len(hits)} hits")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--spec", required=True)
    args = parser.parse_args()
    raw_spec = yaml.safe_load(open(args.spec))
    validate(copy.deepcopy(raw_spec))
    print("ok: the OpenAPI file is valid OpenAPI 3.1")
    spec = resolve(raw_spec, raw_spec)
    check_spec_routes(args.base, args.key, spec)
    check_algolia_client(args.base, args.key)
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
