/* Embeds the dibao policy compiled by `bylaw build`: three households in columns,
 * each column passed by its name, evaluated as a batch and one by one, results
 * printed. Money is int64_t in 0.0001 yuan, so 1338 yuan is 13380000; ages are in
 * years, as the policy declares them; cities are GB/T 2260 codes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bylaw_guangdong_dibao.h"

#define P(name) BYLAW_GUANGDONG_DIBAO_##name
#define H 3 /* households */
#define M 4 /* members */

int main(void) {
    /* What the library is: refuse one built for another ABI than this header's. */
    bylaw_policy_info info;
    if (bylaw_guangdong_dibao_policy_info(&info) != BYLAW_OK || info.abi != BYLAW_ABI_VERSION) {
        fprintf(stderr, "library built for ABI %u, this program for %d\n", info.abi, BYLAW_ABI_VERSION);
        return 1;
    }
    time_t seconds = (time_t)info.date * 86400;
    char date[16];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&seconds));
    printf("policy %s for %s, ABI %u, sources sha256 ", info.name, date, info.abi);
    for (int i = 0; i < 32; i++) printf("%02x", info.source_hash[i]);
    printf("\n");

    /* Household columns (the `id` text column is not read by the policy). */
    uint32_t city[H] = {P(V_REGION_GUANGZHOU), P(V_REGION_SHENZHEN), P(V_REGION_GUANGZHOU)};
    uint32_t hukou[H] = {P(V_HUKOU_TYPE_LOCAL), P(V_HUKOU_TYPE_LOCAL), P(V_HUKOU_TYPE_OTHER_CITY)};
    int64_t residence[H] = {24, 36, 12};
    int64_t months_away[H] = {0, 0, 0};
    uint8_t elsewhere[H] = {0, 0, 0};
    uint8_t assets[H] = {0, 0, 0};
    uint8_t car[H] = {0, 1, 0};
    uint8_t house[H] = {0, 0, 0};
    /* Members: household 0 has two, 1 has one, 2 has one. */
    int64_t income[M] = {8000000, 10000000, 5000000, 13380100};
    int64_t age[M] = {40, 38, 70, 30}; /* years */
    uint8_t disabled[M] = {0, 0, 1, 0};
    uint32_t members[H + 1] = {0, 2, 3, 4};

    /* Every column by name, in any order: a swapped or misspelled one is refused. */
    bylaw_input columns[] = {
        {P(COL_PERSON_INCOME), income, M},
        {P(COL_PERSON_AGE), age, M},
        {P(COL_PERSON_DISABLED), disabled, M},
        {P(COL_HOUSEHOLD_CITY), city, H},
        {P(COL_HOUSEHOLD_HUKOU), hukou, H},
        {P(COL_HOUSEHOLD_RESIDENCE), residence, H},
        {P(COL_HOUSEHOLD_MONTHS_AWAY), months_away, H},
        {P(COL_HOUSEHOLD_DIBAO_ELSEWHERE), elsewhere, H},
        {P(COL_HOUSEHOLD_LARGE_FINANCIAL_ASSETS), assets, H},
        {P(COL_HOUSEHOLD_CAR_TRANSACTION), car, H},
        {P(COL_HOUSEHOLD_HOUSE_TRANSACTION), house, H},
    };
    bylaw_column offsets[P(RELATIONS)];
    offsets[P(REL_HOUSEHOLD_MEMBERS)] = (bylaw_column){members, H + 1};
    uint64_t rows[P(ENTITIES)];
    rows[P(ENTITY_HOUSEHOLD)] = H;
    rows[P(ENTITY_PERSON)] = M;
    bylaw_batch batch = {rows, columns, sizeof columns / sizeof columns[0], offsets};

    /* The batch: one array per output. */
    uint8_t eligible[H], errors[H];
    int64_t benefit[H], per_capita[H];
    void *outputs[P(OUTPUTS)];
    int64_t scratch64[P(OUTPUTS)][H];
    for (int k = 0; k < P(OUTPUTS); k++) outputs[k] = scratch64[k];
    outputs[P(OUT_ELIGIBLE)] = eligible;
    outputs[P(OUT_BENEFIT)] = benefit;
    outputs[P(OUT_PER_CAPITA_INCOME)] = per_capita;
    bylaw_failed_row failures[H];
    uint64_t failed = 0;
    int32_t status = bylaw_guangdong_dibao_eval_batch(&batch, 0, H, outputs, errors, failures, &failed);
    if (status != BYLAW_OK) {
        fprintf(stderr, "eval_batch: status %d\n", status);
        return 1;
    }
    for (int h = 0; h < H; h++) {
        if (errors[h] != BYLAW_ERR_NONE) {
            printf("household %d: error %u\n", h, errors[h]);
            continue;
        }
        printf("household %d: per-capita income %" PRId64 ".%04" PRId64 " yuan, eligible %s, benefit %" PRId64 ".%02" PRId64 " yuan\n",
               h, per_capita[h] / 10000, per_capita[h] % 10000, eligible[h] ? "yes" : "no",
               benefit[h] / 10000, (benefit[h] % 10000) / 100);
    }

    /* One household. */
    int64_t values[P(OUTPUTS)];
    bylaw_error_record error;
    status = bylaw_guangdong_dibao_eval_one(&batch, 0, values, &error);
    if (status != BYLAW_OK || error.kind != BYLAW_ERR_NONE) {
        fprintf(stderr, "eval_one: status %d, error %u\n", status, error.kind);
        return 1;
    }
    printf("household 0 alone: benefit %" PRId64 " (0.0001 yuan), %" PRIu64 " failed in the batch\n",
           values[P(OUT_BENEFIT)], failed);

    /* A bad batch is refused, not read out of bounds or misread. */
    columns[0].name = "person.incme";
    int32_t misnamed = bylaw_guangdong_dibao_eval_batch(&batch, 0, H, outputs, errors, NULL, NULL);
    columns[0].name = P(COL_PERSON_INCOME);
    city[1] = 4403; /* not a GB/T 2260 code of the policy's regions */
    int32_t unknown = bylaw_guangdong_dibao_eval_batch(&batch, 0, H, outputs, errors, NULL, NULL);
    city[1] = P(V_REGION_SHENZHEN);
    members[H] = 99;
    status = bylaw_guangdong_dibao_eval_batch(&batch, 0, H, outputs, errors, NULL, NULL);
    printf("misnamed column, unknown region code, broken offsets: status %d, %d, %d (BYLAW_E_BATCH = %d)\n",
           misnamed, unknown, status, BYLAW_E_BATCH);
    return misnamed == BYLAW_E_BATCH && unknown == BYLAW_E_BATCH && status == BYLAW_E_BATCH ? 0 : 1;
}
